"""What a cached page shows only to its reader: the holes forum/caching.py fills on every members' request.

A cached page is built for a stand-in viewer of the reader's class (caching.StandIn: owns nothing, voted for
nothing). Each filler here gets the numbers the hole carries and returns this reader's HTML, or None where the
stand-in's is already right. On a story page everything personal is read in one statement (`_reader_state`): a
thread of 1,000 comments re-renders only the reader's own and upvoted comments, loaded only if there are any. The
partial templates are the ones the page itself includes, so both always agree.
"""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, render_template, request
from flask_login import current_user
from sqlalchemy.orm import joinedload

from . import caching
from .extensions import db
from .models import FOLLOW_KINDS, Comment, CommentVote, Follow, SavedStory, Story, StoryVote


@dataclass(frozen=True)
class StoryFacts:
    """What the story tools show of a story, carried by the hole (the cached page is exact for its story)."""

    id: int
    votes: int
    author_id: int
    locked: bool
    status: str


@dataclass
class ReaderState:
    voted: bool
    saved: bool
    followed: bool
    voted_comments: set[int]
    own_comments: set[int]


def account_nav() -> str:
    return render_template("_partials/account_nav.html")


def story_tools(story_id: int, votes: int, author_id: int, locked: int, published: int) -> str:
    state = _reader_state(story_id)
    story = StoryFacts(story_id, votes, author_id, bool(locked), "published" if published else "not published")
    # The story page's holes are filled on the story page, whose address is the story's own (the view redirects
    # any other spelling), so it is the page these forms come back to.
    return render_template("_partials/story_tools.html", story=story, here=request.path, voted=state.voted,
                           saved=state.saved)


def story_actions(story_id: int, author_id: int) -> str | None:
    if author_id != current_user.id:
        return None  # the stand-in's controls: a member's on someone else's story
    story = db.session.get(Story, story_id)
    return None if story is None else render_template("_partials/story_actions.html", story=story)


def comment_actions(story_id: int, comment_id: int) -> str | None:
    state = _reader_state(story_id)
    if comment_id not in state.voted_comments and comment_id not in state.own_comments:
        return None
    comment = _reader_comments(story_id, state).get(comment_id)
    if comment is None:
        return None
    return render_template("_partials/comment_actions.html", c=comment, story=comment.story, here=request.path,
                           voted=comment_id in state.voted_comments)


def follow_button(kind: int, number: int) -> str | None:
    """The reader's Follow button (forum.following): "Following" where they follow it; else the stand-in's."""
    from . import following

    kind_name = FOLLOW_KINDS[kind]
    key = following.key_from_hole(kind_name, number)
    if not following.reader_follows(kind_name, key, number):
        return None
    return following.render_button(kind_name, key, followed=True)


def reader_follows_story(story_id: int) -> bool:
    return _reader_state(story_id).followed


def _reader_state(story_id: int) -> ReaderState:
    """Whether the reader upvoted, saved and follows the story, and which of its comments they upvoted or wrote: one
    statement, once per request."""
    known = g.setdefault("reader_state", {})
    if story_id not in known:
        reader = current_user.id
        rows = db.session.connection().execute(sa.union_all(
            sa.select(sa.literal("voted"), StoryVote.story_id)
            .where(StoryVote.user_id == reader, StoryVote.story_id == story_id),
            sa.select(sa.literal("saved"), SavedStory.story_id)
            .where(SavedStory.user_id == reader, SavedStory.story_id == story_id),
            sa.select(sa.literal("followed"), Follow.id)
            .where(Follow.user_id == reader, Follow.kind == "story", Follow.key == str(story_id)),
            sa.select(sa.literal("comment_vote"), CommentVote.comment_id)
            .join(Comment, Comment.id == CommentVote.comment_id)
            .where(CommentVote.user_id == reader, Comment.story_id == story_id),
            sa.select(sa.literal("own"), Comment.id).where(Comment.story_id == story_id, Comment.author_id == reader),
        )).all()
        kinds = {kind for kind, _ in rows}
        known[story_id] = ReaderState(voted="voted" in kinds, saved="saved" in kinds, followed="followed" in kinds,
                                      voted_comments={i for kind, i in rows if kind == "comment_vote"},
                                      own_comments={i for kind, i in rows if kind == "own"})
    return known[story_id]


def _reader_comments(story_id: int, state: ReaderState) -> dict[int, Comment]:
    """The comments whose controls differ for this reader, with their authors and story, in one query."""
    known = g.setdefault("reader_comments", {})
    if story_id not in known:
        ids = state.voted_comments | state.own_comments
        known[story_id] = {c.id: c for c in db.session.scalars(
            sa.select(Comment).where(Comment.id.in_(ids), Comment.status == "published")
            .options(joinedload(Comment.author, innerjoin=True), joinedload(Comment.story, innerjoin=True))).unique()}
    return known[story_id]


def register() -> None:
    """Name the fillers of the holes the templates mark (create_app calls this)."""
    caching.HOLES.update(account_nav=account_nav, story_tools=story_tools, story_actions=story_actions,
                         comment_actions=comment_actions, follow_button=follow_button)
