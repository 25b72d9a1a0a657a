"""What moderators do to stories, comments and people. Each function changes the item, resolves the reports it
answers, and writes its one line of the public log through moderation.record; the view commits."""
from datetime import timedelta

import sqlalchemy as sa

from . import catalogue, moderation, verification
from .extensions import db
from .logs import security_event
from .models import PERMANENT_BAN_UNTIL, Comment, Report, Story, User, utcnow


def label(target) -> str:
    """The log's words for a story or comment: its title or opening words while anyone may read it, else nothing
    (the log names it by kind and number), so that logging a removal never publishes what it took down."""
    story = target if isinstance(target, Story) else target.story
    if target.status != "published" or story.status != "published":
        return ""
    return target.title if isinstance(target, Story) else (target.body or "")[:80]


def _log(actor, action: str, target, reason: str) -> None:
    kind = "story" if isinstance(target, Story) else "comment" if isinstance(target, Comment) else "user"
    moderation.record(actor=actor, action=action, target_type=kind, target_id=target.id,
                      target_label=target.username if isinstance(target, User) else label(target), reason=reason)


def resolve_reports(target_type: str, target_id: int, *, actor: User, resolution: str) -> int:
    """Close every open report on an item; returns how many."""
    result = db.session.execute(sa.update(Report).where(
        Report.target_type == target_type, Report.target_id == target_id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=actor.id, resolution=resolution, open_key=None)
        .returning(Report.id))
    return len(result.all())


def target_type_of(target) -> str:
    return "story" if isinstance(target, Story) else "comment"


def remove(target, *, actor: User, reason: str) -> None:
    """Take a story or comment down. The public sees "removed by a moderator: REASON" in its place."""
    target.status = "removed"
    target.status_reason = reason
    resolve_reports(target_type_of(target), target.id, actor=actor, resolution="removed")
    _log(actor, "remove", target, reason)
    if isinstance(target, Story):
        verification.discard_pending(target.id)  # a removed story is not checked: its score report goes with it
        db.session.flush()
        catalogue.refresh_story_counts()


def restore(target, *, actor: User, reason: str) -> None:
    target.status = "published"
    target.status_reason = ""
    _log(actor, "restore", target, reason)
    if isinstance(target, Story):
        db.session.flush()
        catalogue.refresh_story_counts()


def dismiss(target, *, actor: User, reason: str) -> None:
    """The reports were wrong: close them, change nothing else."""
    resolve_reports(target_type_of(target), target.id, actor=actor, resolution="dismissed")
    _log(actor, "dismiss_reports", target, reason)


def set_locked(story: Story, *, locked: bool, actor: User, reason: str) -> None:
    story.locked = locked
    _log(actor, "lock" if locked else "unlock", story, reason)


def mark_reviewed(story: Story, *, actor: User, reason: str = "") -> None:
    story.awaiting_review = False
    _log(actor, "review", story, reason or "first post looked at")


def ban(user: User, *, actor: User | None, days: int | None, reason: str) -> None:
    """Stop someone posting, commenting, voting and reporting; they can still read. days=None is permanent."""
    user.banned_until = utcnow() + timedelta(days=days) if days else PERMANENT_BAN_UNTIL
    user.ban_reason = reason
    moderation.record(actor=actor, action="ban", target_type="user", target_id=user.id, target_label=user.username,
                      reason=f"{reason} ({f'{days} days' if days else 'permanent'})")
    security_event("banned", user_id=user.id, actor_id=actor.id if actor else "console", days=days or "permanent")


def unban(user: User, *, actor: User | None, reason: str) -> None:
    user.banned_until = None
    user.ban_reason = ""
    moderation.record(actor=actor, action="unban", target_type="user", target_id=user.id,
                      target_label=user.username, reason=reason)
    security_event("unbanned", user_id=user.id, actor_id=actor.id if actor else "console")


def set_role(user: User, *, role: str, actor: User | None, reason: str = "") -> None:
    previous, user.role = user.role, role
    why = f"{previous} -> {role}" + (f": {reason}" if reason else "") + ("" if actor else " (console)")
    moderation.record(actor=actor, action="set_role", target_type="user", target_id=user.id,
                      target_label=user.username, reason=why)
    security_event("role_changed", user_id=user.id, actor_id=actor.id if actor else "console",
                   previous=previous, role=role)
