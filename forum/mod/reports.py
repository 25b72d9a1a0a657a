"""Open reports, the first-posts queue, and the one view every action on a story or comment goes through, from the
reports page, the queue, or the item's own page (with or without an open report)."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional

from .. import loaders, moderator_actions, permissions, reporting
from ..errors import render_error
from ..extensions import db
from ..forms import BaseForm, strip_or_none
from ..models import Story, User
from ..security import safe_next_url
from . import bp

# Which actions apply to which kind of item; the action name is also the log's.
ACTIONS = {
    "story": {"dismiss", "remove", "restore", "lock", "unlock", "review", "ban_author"},
    "comment": {"dismiss", "remove", "restore", "ban_author"},
}
NEEDS_REASON = {"remove", "restore", "lock", "unlock", "ban_author"}  # the log says why, publicly
# What the item must be for the action to make sense: a deleted item stays deleted (removing it first would
# otherwise let a moderator restore what its author deleted), and a second press of Lock or Restore (another tab,
# another moderator) is refused rather than logged twice.
STATE_RULES = {"remove": permissions.can_remove, "restore": permissions.can_restore,
               "lock": permissions.can_lock, "unlock": permissions.can_unlock}
LABELS = {"dismiss": "Dismiss the reports", "remove": "Remove", "restore": "Restore", "lock": "Lock thread",
          "unlock": "Unlock thread", "review": "Looks fine", "ban_author": "Ban the author"}
REASON_MISSING = "Say why: the reason goes in the public moderation log."

for _name in ("can_remove", "can_restore", "can_lock", "can_unlock"):
    bp.add_app_template_global(getattr(permissions, _name), _name)


class ActionForm(BaseForm):
    reason = StringField("Reason (public, in the moderation log)", filters=[strip_or_none],
                         validators=[Length(max=500)])
    days = IntegerField("Ban for days (empty: permanent)", validators=[Optional(), NumberRange(min=1, max=3650)])


@bp.route("/reports")
def reports():
    return render_template("mod/reports.html", items=reporting.open_items(), form=ActionForm(formdata=None),
                           actions=ACTIONS)


@bp.route("/queue")
def queue():
    stories = list(db.session.scalars(sa.select(Story).where(Story.awaiting_review.is_(True))
                                      .order_by(Story.created_at).limit(200)))
    return render_template("mod/queue.html", stories=stories, form=ActionForm(formdata=None))


@bp.route("/<any(story, comment):target_type>/<int:target_id>/<action>", methods=["POST"])
def act(target_type: str, target_id: int, action: str):
    """One view for every action on a story or comment: the tables above say which apply and when;
    moderator_actions does them. An open report is not needed: the item's own page offers the same actions."""
    if action not in ACTIONS[target_type]:
        abort(404)
    target = loaders.report_target_or_404(target_type, target_id)
    if action in STATE_RULES and not STATE_RULES[action](current_user, target):
        return render_error(409, refusal(target_type, target, action))
    form = ActionForm()
    valid = form.validate()
    if valid and action in NEEDS_REASON and not form.reason.data:
        form.reason.errors.append(REASON_MISSING)
        valid = False
    if not valid:  # the form again, with what was wrong: a browser that skipped `required` lands here
        return render_template("mod/act.html", form=form, target_type=target_type, target=target, action=action,
                               label=LABELS[action], next=back()), 400
    reason = form.reason.data or ""
    if action == "remove":
        moderator_actions.remove(target, actor=current_user, reason=reason)
    elif action == "restore":
        moderator_actions.restore(target, actor=current_user, reason=reason)
    elif action == "dismiss":
        moderator_actions.dismiss(target, actor=current_user, reason=reason)
    elif action in ("lock", "unlock"):
        moderator_actions.set_locked(target, locked=action == "lock", actor=current_user, reason=reason)
    elif action == "review":
        moderator_actions.mark_reviewed(target, actor=current_user, reason=reason)
    elif action == "ban_author":
        author = db.session.get(User, target.author_id)
        if not permissions.can_ban(current_user, author):
            abort(403)
        moderator_actions.ban(author, actor=current_user, days=form.days.data, reason=reason)
    db.session.commit()
    flash("Done. It is in the moderation log.", "success")
    return redirect(back())


def refusal(target_type: str, target, action: str) -> str:
    if target.status == "deleted":
        return f"Its author deleted this {target_type}: a moderator cannot {action} it, and the deletion stands."
    if action == "lock" and target.locked:
        return "This story is locked already: there is nothing to lock."
    if action == "unlock":
        return "This story is not locked: there is nothing to unlock."
    return f"This {target_type} is {target.status}: there is nothing to {action}."


def back() -> str:
    return safe_next_url(request.form.get("next")) or url_for("mod.reports")
