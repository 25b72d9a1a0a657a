"""Follows (a story's new comments; new stories of a step, a resource or a saved search) and mail choices."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .accounts import utcnow

# What can be followed, and what its key holds: a story id, a step code, a resource id, a normalised search query
# string (forum.following.search_key). Their order is each kind's number in a page's hole (forum.personal).
FOLLOW_KINDS = ("story", "step", "resource", "search")
# The notification each kind of follow gives (Notification.kind holds 12 characters).
FOLLOW_NOTIFICATION = {"story": "new_comment", "step": "step_story", "resource": "res_story",
                       "search": "search_story"}
FOLLOW_KEY_MAX = 1000  # a search of 500 characters of words plus every facet fits; a longer one is refused
# How a member hears by mail of what they follow: not at all (the default: mail is opt-in), each as it comes, or
# one digest a day (`flask notifications digest`, deploy/stepstories-digest.timer).
EMAIL_MODES = {"off": "No email", "each": "An email for each one", "daily": "One email a day"}


class Follow(db.Model):
    __tablename__ = "follows"
    # The unique index serves "does this member follow it?" (the Follow button); the second, "who follows it?"
    # (the matching job).
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", "key", name="uq_follows_user_kind_key"),
                      sa.Index("ix_follows_kind_key", "kind", "key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(8))
    key: Mapped[str] = mapped_column(sa.String(FOLLOW_KEY_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailPreference(db.Model):
    """A member's choice of mail about what they follow; no row means "off". Kept apart from users so the row every
    request loads stays as it was."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    follow_mail: Mapped[str] = mapped_column(sa.String(5), default="off", server_default="off")
    # The newest notification the last digest covered (its created_at): the next one starts after it.
    last_digest_at: Mapped[datetime | None]
