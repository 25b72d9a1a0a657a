"""Comments, votes, bookmarks and notifications."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User, utcnow
from .stories import Story

MAX_DEPTH = 8  # deeper replies are shown at depth 8 with "replying to @name": a phone stays readable
PATH_DIGITS = 10  # each path segment is the comment id, zero-padded so text order is thread order
MAX_STORED_DEPTH = 150  # 150 segments of 11 characters fit the path column; deeper replies join their parent's level
NOTIFICATION_KINDS = {"reply": "Replies", "mention": "Mentions", "moderation": "Moderation"}


def path_segment(comment_id: int) -> str:
    return f"{comment_id:0{PATH_DIGITS}d}"


class Comment(db.Model):
    """A comment or reply. `path` is the chain of ids from the top-level comment: ordering a story's comments by
    path yields the whole thread in reading order with one query."""

    __tablename__ = "comments"
    __table_args__ = (sa.Index("ix_comments_story_path", "story_id", "path"),
                      sa.Index("ix_comments_author_created", "author_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(sa.ForeignKey("stories.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id"))
    depth: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    path: Mapped[str] = mapped_column(sa.String(2200), default="", server_default="")
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    votes: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[str] = mapped_column(sa.String(10), default="published", server_default="published")
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))

    author: Mapped[User] = relationship(lazy="raise_on_sql")
    story: Mapped[Story] = relationship(lazy="raise_on_sql")

    @property
    def thread_depth(self) -> int:
        return min(self.depth, MAX_DEPTH)


class StoryVote(db.Model):
    """One upvote per person per story: the primary key is the rule, so no race can make two."""

    __tablename__ = "story_votes"
    __table_args__ = (sa.Index("ix_story_votes_story", "story_id"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    story_id: Mapped[int] = mapped_column(sa.ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentVote(db.Model):
    __tablename__ = "comment_votes"
    __table_args__ = (sa.Index("ix_comment_votes_comment", "comment_id"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SavedStory(db.Model):
    __tablename__ = "saved_stories"
    __table_args__ = (sa.Index("ix_saved_stories_user_created", "user_id", "created_at"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    story_id: Mapped[int] = mapped_column(sa.ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(12))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    story_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stories.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise_on_sql")
    story: Mapped[Story | None] = relationship(lazy="raise_on_sql")
    comment: Mapped[Comment | None] = relationship(lazy="raise_on_sql")
