"""The ban list: who may not post, why, since when and until when; a ban by username, and lifting a ban. Both write
their line through moderator_actions, as the CLI's `flask users ban` and `flask users unban` do."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .. import moderator_actions, permissions
from ..errors import render_error
from ..extensions import db
from ..forms import BaseForm, strip_or_none
from ..models import PERMANENT_BAN_UNTIL, ModAction, User, username_key, utcnow
from . import bp

BAN_LIST_LIMIT = 500  # far more bans than stand at once on a forum this size; the page says when there are more
MAX_BAN_DAYS = 3650  # ten years; longer is what "permanent" is for
REASON_REQUIRED = "Say why: the member sees it, and so does the public moderation log."

bp.add_app_template_global(permissions.can_unban, "can_unban")


class BanForm(BaseForm):
    username = StringField("Username", filters=[strip_or_none],
                           validators=[DataRequired(message="Whom should the ban stop?"), Length(max=30)])
    days = IntegerField("Days", validators=[Optional(), NumberRange(min=1, max=MAX_BAN_DAYS)],
                        description="Leave empty for a permanent ban.")
    reason = StringField("Reason (public: the member and the moderation log show it)", filters=[strip_or_none],
                         validators=[DataRequired(message=REASON_REQUIRED), Length(max=500)])


class UnbanForm(BaseForm):
    reason = StringField("Reason to unban (public)", filters=[strip_or_none],
                         validators=[DataRequired(message=REASON_REQUIRED), Length(max=500)])


@bp.route("/bans", methods=["GET", "POST"])
def bans():
    """The list of standing bans, and a form to ban someone by name (banning again replaces the end date)."""
    form = BanForm()
    status = 200
    if form.validate_on_submit():
        member = db.session.scalar(sa.select(User).where(User.username_key == username_key(form.username.data)))
        if member is None:
            form.username.errors.append("No member has that username.")
        elif not permissions.can_ban(current_user, member):
            form.username.errors.append(ban_refusal(member))
            status = 403
        else:
            moderator_actions.ban(member, actor=current_user, days=form.days.data, reason=form.reason.data)
            db.session.commit()
            flash(f"{member.username} is banned {f'for {form.days.data} days' if form.days.data else 'permanently'}."
                  " It is in the moderation log.", "success")
            return redirect(url_for("mod.bans"))
    if form.errors and status == 200:
        status = 400
    return render_list(form=form, status=status)


@bp.route("/users/<int:user_id>/unban", methods=["POST"])
def unban(user_id: int):
    """Lift a ban before its end, with a public reason."""
    member = db.session.get(User, user_id)
    if member is None:
        abort(404)
    if not permissions.can_unban(current_user, member):
        abort(403)
    if not member.is_banned:  # another moderator lifted it, or it ran out: nothing to log twice
        return render_error(409, f"{member.username} is not banned: there is no ban to lift.")
    form = UnbanForm()
    if not form.validate():
        return render_list(form=BanForm(formdata=None), unban_form=form, unban_id=member.id, status=400)
    moderator_actions.unban(member, actor=current_user, reason=form.reason.data)
    db.session.commit()
    flash(f"{member.username} may post again. It is in the moderation log.", "success")
    return redirect(url_for("mod.bans"))


def ban_refusal(member: User) -> str:
    if member.id == current_user.id:
        return "You cannot ban yourself."
    if member.is_admin:
        return "Admins cannot be banned here: an admin changes their role first."
    return "Only an admin can ban a moderator."


def render_list(*, form: BanForm, status: int, unban_form: UnbanForm | None = None, unban_id: int | None = None):
    members = list(db.session.scalars(sa.select(User).where(User.banned_until > utcnow())
                                      .order_by(User.banned_until, User.username_key).limit(BAN_LIST_LIMIT + 1)))
    return render_template("mod/bans.html", members=members[:BAN_LIST_LIMIT], more=len(members) > BAN_LIST_LIMIT,
                           last_bans=last_bans([m.id for m in members]), permanent=PERMANENT_BAN_UNTIL, form=form,
                           unban_form=unban_form, unban_id=unban_id), status


def last_bans(user_ids: list[int]) -> dict[int, ModAction]:
    """Each member's latest ban line in the log (who banned them, when), by member id, in one query."""
    if not user_ids:
        return {}
    latest = (sa.select(sa.func.max(ModAction.id)).where(ModAction.action == "ban", ModAction.target_type == "user",
                                                          ModAction.target_id.in_(user_ids))
              .group_by(ModAction.target_id))
    rows = db.session.scalars(sa.select(ModAction).options(joinedload(ModAction.actor))
                              .where(ModAction.id.in_(latest)))
    return {row.target_id: row for row in rows}
