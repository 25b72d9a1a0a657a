"""Hubs and their featured cards: what moderators put on the front page and the step pages."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import utcnow
from .stories import Story
from .threads import Comment  # noqa: F401  (mapped before the relationships that name it resolve)


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


__all__ = ["Hub", "Feature"]
