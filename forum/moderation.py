"""The single writer of the moderation log. Every moderator action goes through record(); nothing edits a row."""
from .extensions import db
from .models import ModAction, User


def record(*, actor: User | None, action: str, target_type: str, target_id: int, target_label: str = "",
           reason: str = "") -> ModAction:
    """Add a log line to the current transaction; the caller's commit makes the action and its line land together."""
    entry = ModAction(actor=actor, action=action, target_type=target_type, target_id=target_id,
                      target_label=target_label[:200], reason=reason[:500])
    db.session.add(entry)
    return entry
