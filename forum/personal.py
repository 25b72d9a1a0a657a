"""What a cached page shows only to its reader: the holes forum/caching.py fills on every members' request.

A cached page is built for a stand-in viewer of the reader's class (caching.StandIn: owns nothing, voted for
nothing). Each filler here gets the numbers the hole carries and returns this reader's HTML, or None where the
stand-in's is already right: a thread of 1,000 comments re-renders only the reader's own and upvoted ones, found in
one query. The partial templates are the ones the page itself includes, so both always agree.
"""
import sqlalchemy as sa
from flask import g, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from . import caching, votes
from .extensions import db
from .models import Comment, CommentVote, SavedStory, Story
from .urls import story_url


def _story(story_id: int) -> Story | None:
    """Once per request (the session's identity map holds objects weakly: a filler's story would be read again)."""
    stories = g.setdefault("reader_stories", {})
    if story_id not in stories:
        stories[story_id] = db.session.get(Story, story_id)
    return stories[story_id]


def account_nav() -> str:
    return render_template("_partials/account_nav.html")


def story_tools(story_id: int) -> str | None:
    story = _story(story_id)
    if story is None:  # gone since the page was stored, which its next build will say: keep the stand-in's
        return None
    saved = db.session.scalar(sa.select(sa.literal(True)).where(
        SavedStory.user_id == current_user.id, SavedStory.story_id == story_id)) is not None
    return render_template("_partials/story_tools.html", story=story, here=story_url(story),
                           voted=votes.has_voted_story(current_user, story_id), saved=saved)


def story_actions(story_id: int) -> str | None:
    story = _story(story_id)
    if story is None or story.author_id != current_user.id:
        return None  # the stand-in's controls: a member's on someone else's story
    return render_template("_partials/story_actions.html", story=story)


def comment_form(story_id: int) -> str | None:
    from .comments.forms import CommentForm

    story = _story(story_id)
    if story is None:
        return None
    return render_template("_partials/comment_form.html", story=story, here=story_url(story),
                           comment_form=CommentForm())


def comment_actions(story_id: int, comment_id: int) -> str | None:
    mine, voted = _reader_comments(story_id)
    comment = mine.get(comment_id)
    story = _story(story_id)
    if comment is None or story is None:
        return None
    return render_template("_partials/comment_actions.html", c=comment, story=story, here=story_url(story),
                           voted=comment_id in voted)


def _reader_comments(story_id: int) -> tuple[dict[int, Comment], set[int]]:
    """The comments on this story that differ for this reader (written or upvoted by them), once per request."""
    known = g.setdefault("reader_comments", {})
    if story_id not in known:
        voted = votes.comment_votes_on_story(current_user, story_id)
        rows = db.session.scalars(
            sa.select(Comment).where(Comment.story_id == story_id, Comment.status == "published", sa.or_(
                Comment.author_id == current_user.id,
                Comment.id.in_(sa.select(CommentVote.comment_id).where(CommentVote.user_id == current_user.id))))
            .options(joinedload(Comment.author), joinedload(Comment.story))).unique()
        known[story_id] = ({c.id: c for c in rows}, voted)
    return known[story_id]


def register() -> None:
    """Name the fillers of the holes the templates mark (create_app calls this)."""
    caching.HOLES.update(account_nav=account_nav, story_tools=story_tools, story_actions=story_actions,
                         comment_form=comment_form, comment_actions=comment_actions)
