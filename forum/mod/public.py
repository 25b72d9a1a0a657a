"""The public side of moderation: any member's report form, and the log everyone can read."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import loaders, permissions, reporting
from ..caching import cached_for_anonymous
from ..errors import keeps_input_on_csrf_failure
from ..extensions import db
from ..forms import BaseForm, strip_or_none
from ..models import REPORT_REASONS, ModAction, Story, User, username_key
from ..urls import story_url

public_bp = Blueprint("moderation", __name__)
LOG_PAGE_SIZE = 50


class ReportForm(BaseForm):
    reason = SelectField("Why are you reporting this?", choices=[SelectChoice("", "Choose a reason"), *(
        SelectChoice(k, v) for k, v in REPORT_REASONS.items())], validators=[DataRequired(message="Choose a reason.")])
    note = TextAreaField("Anything moderators should know", filters=[strip_or_none],
                         validators=[Length(max=1000)], description="Optional. Only moderators read this.")


@public_bp.route("/report/<any(story, comment):target_type>/<int:target_id>", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
@login_required
def report(target_type: str, target_id: int):
    target = loaders.report_target_or_404(target_type, target_id)
    if target.status != "published":
        abort(404)
    if not permissions.can_report(current_user, target):
        abort(403)
    story = target if isinstance(target, Story) else target.story
    form = ReportForm()
    if request.method == "POST" and form.validate():
        filed = reporting.file_report(reporter=current_user, target_type=target_type, target_id=target.id,
                                      reason=form.reason.data, note=form.note.data or "")
        db.session.commit()
        flash("Thank you: moderators will look at it." if filed else
              "You have already reported this; moderators will look at it.", "info")
        return redirect(story_url(story, comment_id=target.id if target_type == "comment" else None))
    return render_template("mod/report.html", form=form, target=target, target_type=target_type,
                           story=story), 400 if form.errors else 200


@public_bp.route("/moderation-log")
@cached_for_anonymous
def log():
    """Every moderator action, newest first; filter by moderator and by action."""
    query = sa.select(ModAction).options(joinedload(ModAction.actor)).order_by(ModAction.created_at.desc(),
                                                                               ModAction.id.desc())
    moderator = (request.args.get("moderator") or "").strip()[:30]
    action = (request.args.get("action") or "").strip()[:32]
    if moderator:
        query = query.join(User, ModAction.actor_id == User.id).where(User.username_key == username_key(moderator))
    if action:
        query = query.where(ModAction.action == action)
    try:
        page = min(max(int(request.args.get("page", 1)), 1), 1000)
    except ValueError:
        page = 1
    rows = list(db.session.scalars(query.limit(LOG_PAGE_SIZE + 1).offset((page - 1) * LOG_PAGE_SIZE)))
    actions = list(db.session.scalars(sa.select(ModAction.action).distinct().order_by(ModAction.action)))
    return render_template("mod/log.html", entries=rows[:LOG_PAGE_SIZE], has_next=len(rows) > LOG_PAGE_SIZE,
                           page=page, moderator=moderator, action=action, actions=actions)
