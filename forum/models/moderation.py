"""Moderation's records: readers' reports, and the public log of what moderators did about them and anything else."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User, utcnow

REPORT_REASONS = {
    "spam": "Spam",
    "harassment": "Harassment",
    "misinformation": "Misinformation",
    "exam_content": "Possible live exam content",
    "off_topic": "Off-topic",
    "other": "Other",
}


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


class ModAction(db.Model):
    """One line of the public moderation log. Append-only: written by forum.moderation.record alone."""

    __tablename__ = "mod_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)  # None: the console
    action: Mapped[str] = mapped_column(sa.String(32), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(16))
    target_id: Mapped[int]
    target_label: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()
