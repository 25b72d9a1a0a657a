"""Hubs and their featured cards; reports from readers."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User, utcnow
from .stories import Story
from .threads import Comment

REPORT_REASONS = {
    "spam": "Spam",
    "harassment": "Harassment",
    "misinformation": "Misinformation",
    "exam_content": "Possible live exam content",
    "off_topic": "Off-topic",
    "other": "Other",
}


class Hub(db.Model):
    """A curated page: `home` (the front page) and one per step."""

    __tablename__ = "hubs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(20), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    intro: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    intro_html: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class Feature(db.Model):
    """A story shown as a "headline, teaser, Read More" card on a hub, in moderator order."""

    __tablename__ = "features"
    __table_args__ = (sa.UniqueConstraint("hub_id", "story_id", name="uq_features_hub_story"),
                      sa.Index("ix_features_hub_position", "hub_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(sa.ForeignKey("hubs.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(sa.ForeignKey("stories.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    headline: Mapped[str] = mapped_column(sa.String(150))
    teaser: Mapped[str] = mapped_column(sa.String(600))
    featured_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]

    hub: Mapped[Hub] = relationship(lazy="raise_on_sql")
    story: Mapped[Story] = relationship(lazy="raise_on_sql")


class Report(db.Model):
    """A reader's report of a story or comment. `open_key` is set while the report is open, so the database
    itself allows one open report per person per item (NULLs never collide in a unique index)."""

    __tablename__ = "reports"
    __table_args__ = (sa.Index("ix_reports_open", "resolved_at", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(sa.String(10))  # story | comment
    target_id: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    open_key: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id], lazy="raise_on_sql")

    @staticmethod
    def key_for(reporter_id: int, target_type: str, target_id: int) -> str:
        return f"{reporter_id}:{target_type}:{target_id}"


__all__ = ["REPORT_REASONS", "Hub", "Feature", "Report", "Comment"]
