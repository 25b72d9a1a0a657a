"""Upvotes on stories and comments, exact under any number of concurrent writers.

Each change is decided by the database, not by Python: the vote row is inserted with ON CONFLICT DO NOTHING (or
deleted), and only when a row really changed do the item's count and the author's karma move, by `x = x + 1` in
the same transaction. Two presses racing can therefore never count twice, and the cached counts always equal the
rows. Whether a row changed is read from RETURNING, not rowcount: psycopg 3 reports rowcount -1 for these
statements, which is truthy and would count a repeated press twice. The statements run in one order (vote row,
item, author) in every transaction, so PostgreSQL's row locks cannot deadlock between two voters.
"""
import sqlalchemy as sa

from . import caching, ranking
from .database import insert_ignoring_duplicates
from .extensions import db
from .models import Comment, CommentVote, Story, StoryVote, User, utcnow


def vote_story(*, user: User, story: Story, up: bool) -> tuple[int, bool]:
    """Set the user's vote on a story; returns (the story's count now, whether the user's vote stands).

    It retires the story's page only: listings and profiles show the new count within caching.STALE_SECONDS."""
    caching.retire(caching.story(story.id))
    if up:
        statement = insert_ignoring_duplicates(StoryVote, user_id=user.id, story_id=story.id, created_at=utcnow())
    else:
        statement = sa.delete(StoryVote).where(StoryVote.user_id == user.id, StoryVote.story_id == story.id)
    changed = db.session.execute(statement.returning(StoryVote.user_id)).first() is not None
    if changed:
        step = 1 if up else -1
        votes, created_at = db.session.execute(
            sa.update(Story).where(Story.id == story.id).values(votes=Story.votes + step)
            .returning(Story.votes, Story.created_at)).one()
        # The row is locked by the UPDATE above until commit, so this hot matches the count it was computed from.
        db.session.execute(sa.update(Story).where(Story.id == story.id)
                           .values(hot=ranking.hot(votes, created_at)))
        db.session.execute(sa.update(User).where(User.id == story.author_id).values(karma=User.karma + step))
    else:
        votes = db.session.scalar(sa.select(Story.votes).where(Story.id == story.id))
    return votes, up


def vote_comment(*, user: User, comment: Comment, up: bool) -> tuple[int, bool]:
    caching.retire(caching.story(comment.story_id))
    if up:
        statement = insert_ignoring_duplicates(CommentVote, user_id=user.id, comment_id=comment.id,
                                               created_at=utcnow())
    else:
        statement = sa.delete(CommentVote).where(CommentVote.user_id == user.id,
                                                 CommentVote.comment_id == comment.id)
    changed = db.session.execute(statement.returning(CommentVote.user_id)).first() is not None
    if changed:
        step = 1 if up else -1
        votes = db.session.execute(sa.update(Comment).where(Comment.id == comment.id)
                                   .values(votes=Comment.votes + step).returning(Comment.votes)).scalar_one()
        db.session.execute(sa.update(User).where(User.id == comment.author_id).values(karma=User.karma + step))
    else:
        votes = db.session.scalar(sa.select(Comment.votes).where(Comment.id == comment.id))
    return votes, up


def has_voted_story(user, story_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return db.session.scalar(sa.select(sa.literal(True)).where(
        StoryVote.user_id == user.id, StoryVote.story_id == story_id)) is not None


def comment_votes_on_story(user, story_id: int) -> set[int]:
    """Ids of the comments on one story the user has upvoted, in one query (however long the thread)."""
    if not user.is_authenticated:
        return set()
    return set(db.session.scalars(sa.select(CommentVote.comment_id).join(Comment).where(
        CommentVote.user_id == user.id, Comment.story_id == story_id)))
