"""Profiles and account settings."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user
from sqlalchemy.orm import joinedload, selectinload

from .. import exam, loaders, notifications, passwords, permissions
from ..caching import cached_for_anonymous
from ..errors import keeps_input_on_csrf_failure
from ..extensions import db
from ..logs import security_event
from ..models import Notification, SavedStory, Story
from ..urls import user_url
from . import bp
from .forms import EmailChangeForm, PasswordChangeForm, ProfileForm

PROFILE_STORIES = 50  # a profile shows the newest; nobody has written more yet
NOTIFICATIONS_SHOWN = 100


@bp.route("/u/<username>")
@cached_for_anonymous
def profile(username: str):
    user = loaders.user_or_404(username)
    if user.username != username:
        return redirect(user_url(user), 301)
    stories = list(db.session.scalars(
        sa.select(Story).where(Story.author_id == user.id, Story.status == "published")
        .options(selectinload(Story.resource_links)).order_by(Story.created_at.desc()).limit(PROFILE_STORIES)))
    return render_template("users/profile.html", user=user, stories=stories, steps=exam.STEPS)


def _settings_page(**forms):
    forms.setdefault("profile_form", ProfileForm(data={
        "background": current_user.background or "", "bio": current_user.bio,
        "email_on_reply": current_user.email_on_reply, "email_on_mention": current_user.email_on_mention}))
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
    if changes_public_profile(form) and not permissions.can_edit_profile(current_user):
        form.form_errors.append("While your account is suspended, your bio and background stay as they are. "
                                "Email choices can still change.")
        return _settings_page(profile_form=form), 403
    current_user.background = form.background.data or None
    current_user.bio = form.bio.data or ""
    current_user.email_on_reply = form.email_on_reply.data
    current_user.email_on_mention = form.email_on_mention.data
    db.session.commit()
    flash("Profile saved.", "success")
    return redirect(url_for("users.settings"))


def changes_public_profile(form: ProfileForm) -> bool:
    """Whether the form changes what the profile shows. Email choices are private, and a member must always be able
    to stop mail, banned or not."""
    shown_now = (current_user.background or None, current_user.bio or "")
    return (form.background.data or None, form.bio.data or "") != shown_now


@bp.route("/settings/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if not (form.validate_on_submit() and form.check_current_password(current_user)):
        if form.current_password.errors:
            security_event("password_change_failed", user_id=current_user.id)
        return _settings_page(password_form=form), 400
    current_user.password_hash = passwords.hash_password(form.new_password.data)
    current_user.auth_version += 1  # every other session and remember-me cookie now fails to load
    db.session.commit()
    remembered = request.cookies.get("remember_token") is not None
    login_user(current_user._get_current_object(), remember=remembered)  # keep this one session
    security_event("password_changed", user_id=current_user.id)
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
    security_event("email_changed", user_id=current_user.id)
    flash("Email address changed.", "success")
    return redirect(url_for("users.settings"))


@bp.route("/notifications")
@login_required
def notifications_page():
    rows = list(db.session.scalars(
        sa.select(Notification).where(Notification.user_id == current_user.id)
        .options(joinedload(Notification.actor), joinedload(Notification.story), joinedload(Notification.comment))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(NOTIFICATIONS_SHOWN)))
    return render_template("users/notifications.html", notifications=rows)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_notifications_read():
    notifications.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for("users.notifications_page"))


@bp.route("/saved")
@login_required
def saved():
    stories = list(db.session.scalars(
        sa.select(Story).join(SavedStory, SavedStory.story_id == Story.id)
        .where(SavedStory.user_id == current_user.id, Story.status == "published")
        .options(selectinload(Story.resource_links)).order_by(SavedStory.created_at.desc()).limit(200)))
    return render_template("users/saved.html", stories=stories, steps=exam.STEPS)
