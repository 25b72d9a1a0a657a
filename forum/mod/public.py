"""The public side of moderation: any member's report form, and the log everyone can read."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import loaders, permissions, reporting
from ..caching import SITE, cached_page
from ..errors import keeps_input_on_csrf_failure
from ..extensions import db
from ..forms import BaseForm, strip_or_none
from ..models import REPORT_REASONS, Comment, ModAction, Story, User, username_key
from ..posting_limits import answer_later, report_limit_exceeded
from ..urls import story_url

public_bp = Blueprint("moderation", __name__)
LOG_PAGE_SIZE = 50
TEXT_TARGETS = ("story", "comment")  # the log's targets whose label quotes what a member wrote


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
    story = target if isinstance(target, Story) else target.story
    if target.status != "published" or not permissions.can_see_story(current_user, story):
        abort(404)  # the form names the story: gone to this reader, it is not here either
    if not permissions.can_report(current_user, target):
        abort(403)
    form = ReportForm()
    if request.method == "POST" and form.validate():
        retry_after = report_limit_exceeded(current_user)
        if retry_after:
            form.form_errors.append("You have sent many reports in a short time. Wait a little, then send this "
                                    "one again: what you wrote is kept here.")
            return answer_later(render_report_form(form, target=target, target_type=target_type, story=story,
                                                   status=429), retry_after)
        filed = reporting.file_report(reporter=current_user, target_type=target_type, target_id=target.id,
                                      reason=form.reason.data, note=form.note.data or "")
        db.session.commit()
        flash("Thank you: moderators will look at it." if filed else
              "You have already reported this; moderators will look at it.", "info")
        return redirect(story_url(story, comment_id=target.id if target_type == "comment" else None))
    return render_report_form(form, target=target, target_type=target_type, story=story,
                              status=400 if form.errors else 200)


def render_report_form(form: ReportForm, *, target: Story | Comment, target_type: str, story: Story, status: int):
    return render_template("mod/report.html", form=form, target=target, target_type=target_type,
                           story=story), status


@public_bp.route("/moderation-log")
@cached_page(scopes=(SITE,), params=("moderator", "action", "page"))
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
    entries = rows[:LOG_PAGE_SIZE]
    return render_template("mod/log.html", entries=entries, labels=public_labels(entries),
                           has_next=len(rows) > LOG_PAGE_SIZE, page=page, moderator=moderator, action=action,
                           actions=actions)


def public_labels(entries: list[ModAction]) -> dict[int, str]:
    """What the public log may say of each entry's target, by entry id. A story's title or a comment's opening
    words were stored when the action was logged; they show only while the item is public now, since older rows
    hold the text of what was removed or deleted since. Otherwise the log names the item by kind and number alone
    (the template adds those to every entry). Two queries, however long the page."""
    shown = public_items("story", {e.target_id for e in entries if e.target_type == "story"})
    shown |= public_items("comment", {e.target_id for e in entries if e.target_type == "comment"})
    return {e.id: e.target_label if e.target_type not in TEXT_TARGETS or (e.target_type, e.target_id) in shown
            else "" for e in entries}


def public_items(target_type: str, ids: set[int]) -> set[tuple[str, int]]:
    """Which of these stories (or comments) anyone may read now: published, and for a comment on a published story."""
    if not ids:
        return set()
    if target_type == "story":
        query = sa.select(Story.id).where(Story.id.in_(ids), Story.status == "published")
    else:
        query = (sa.select(Comment.id).join(Story, Comment.story_id == Story.id)
                 .where(Comment.id.in_(ids), Comment.status == "published", Story.status == "published"))
    return {(target_type, item_id) for item_id in db.session.scalars(query)}
