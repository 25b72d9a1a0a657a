"""Profiles and account settings."""
import logging
import re

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user
from sqlalchemy.orm import selectinload

from .. import exam, passwords
from ..auth.forms import USERNAME_PATTERN
from ..errors import keeps_input_on_csrf_failure
from ..extensions import db
from ..models import Story, User, username_key
from . import bp
from .forms import EmailChangeForm, PasswordChangeForm, ProfileForm

log = logging.getLogger("forum.auth")
PROFILE_STORIES = 50  # a profile shows the newest; nobody has written more yet


def get_user_or_404(username: str) -> User:
    if not re.fullmatch(USERNAME_PATTERN, username):
        abort(404)
    user = db.session.scalar(sa.select(User).where(User.username_key == username_key(username)))
    if user is None:
        abort(404)
    return user


@bp.route("/u/<username>")
def profile(username: str):
    user = get_user_or_404(username)
    if user.username != username:
        return redirect(url_for("users.profile", username=user.username), 301)
    stories = list(db.session.scalars(
        sa.select(Story).where(Story.author_id == user.id, Story.status == "published")
        .options(selectinload(Story.resource_links)).order_by(Story.created_at.desc()).limit(PROFILE_STORIES)))
    return render_template("users/profile.html", user=user, stories=stories, steps=exam.STEPS)


def _settings_page(**forms):
    forms.setdefault("profile_form", ProfileForm(obj=current_user, background=current_user.background or ""))
    forms.setdefault("password_form", PasswordChangeForm(formdata=None))
    forms.setdefault("email_form", EmailChangeForm(formdata=None))
    return render_template("users/settings.html", **forms)


@bp.route("/settings")
@login_required
def settings():
    return _settings_page()


@bp.route("/settings/profile", methods=["POST"])
@keeps_input_on_csrf_failure
@login_required
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _settings_page(profile_form=form), 400
    current_user.background = form.background.data or None
    current_user.bio = form.bio.data or ""
    db.session.commit()
    flash("Profile saved.", "success")
    return redirect(url_for("users.settings"))


@bp.route("/settings/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if not (form.validate_on_submit() and form.check_current_password(current_user)):
        return _settings_page(password_form=form), 400
    current_user.password_hash = passwords.hash_password(form.new_password.data)
    current_user.auth_version += 1  # every other session and remember-me cookie now fails to load
    db.session.commit()
    remembered = request.cookies.get("remember_token") is not None
    login_user(current_user._get_current_object(), remember=remembered)  # keep this one session
    log.info("password changed user_id=%s", current_user.id)
    flash("Password changed. You have been signed out everywhere else.", "success")
    return redirect(url_for("users.settings"))


@bp.route("/settings/email", methods=["POST"])
@login_required
def change_email():
    form = EmailChangeForm()
    if not (form.validate_on_submit() and form.check_current_password(current_user)):
        return _settings_page(email_form=form), 400
    current_user.email = form.email.data
    db.session.commit()
    log.info("email changed user_id=%s", current_user.id)
    flash("Email address changed.", "success")
    return redirect(url_for("users.settings"))
