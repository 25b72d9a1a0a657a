"""Roles: admins promote and demote moderators. Moderators may not change roles."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import moderator_actions, permissions
from ..extensions import db
from ..forms import BaseForm, strip_or_none
from ..models import ROLES, User, username_key
from . import bp


class RoleForm(BaseForm):
    username = StringField("Username", filters=[strip_or_none], validators=[DataRequired(), Length(max=30)])
    role = SelectField("Role", choices=[SelectChoice(r, r.capitalize()) for r in ROLES])
    reason = StringField("Reason (public)", filters=[strip_or_none], validators=[Length(max=500)])


@bp.route("/users", methods=["GET", "POST"])
def users():
    if not permissions.can_change_roles(current_user):
        abort(403)
    form = RoleForm()
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.username_key == username_key(form.username.data)))
        if user is None:
            form.username.errors.append("No member has that username.")
        elif user.id == current_user.id:
            form.username.errors.append("Ask another admin to change your own role.")
        else:
            moderator_actions.set_role(user, role=form.role.data, actor=current_user, reason=form.reason.data or "")
            db.session.commit()
            flash(f"{user.username} is now {user.role}.", "success")
            return redirect(url_for("mod.users"))
    staff = list(db.session.scalars(sa.select(User).where(User.role.in_(("moderator", "admin")))
                                    .order_by(User.role, User.username)))
    return render_template("mod/users.html", form=form, staff=staff), 400 if form.errors else 200
