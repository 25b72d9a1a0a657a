"""Profiles and account settings."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from .. import exam, loaders, notifications, passwords, permissions
from ..auth import email_change, login_limits, sessions
from ..caching import cached_page
from ..errors import keeps_input_on_csrf_failure, render_error
from ..extensions import csrf, db
from ..forms import BaseForm
from ..jobs import enqueue
from ..logs import secret_in_path, security_event
from ..models import MailPreference, PasswordResetToken, SavedStory, Story, User, utcnow
from ..urls import user_url
from . import bp
from .forms import EmailChangeForm, PasswordChangeForm, ProfileForm

PROFILE_STORIES = 50  # a profile shows the newest; nobody has written more yet
NOTIFICATIONS_SHOWN = 100
UNSUBSCRIBE_LINK_BAD = ("This unsubscribe link is not one we sent, or it was cut short. You can turn each kind of "
                        "email off in your settings.")
EMAIL_LINK_EXPIRED = ("This link no longer works: it was used, it is more than a day old, or the address changed "
                      "since. Ask for a new one in your settings.")


@bp.route("/u/<username>")
@cached_page()
def profile(username: str):
    user = loaders.user_or_404(username)
    if user.username != username:
        return redirect(user_url(user), 301)
    stories = list(db.session.scalars(
        sa.select(Story).where(Story.author_id == user.id, Story.status == "published")
        .options(selectinload(Story.resource_links)).order_by(Story.created_at.desc()).limit(PROFILE_STORIES)))
    return render_template("users/profile.html", user=user, stories=stories, steps=exam.STEPS)


def _settings_page(**forms):
    preference = db.session.get(MailPreference, current_user.id)
    forms.setdefault("profile_form", ProfileForm(data={
        "background": current_user.background or "", "bio": current_user.bio,
        "email_on_reply": current_user.email_on_reply, "email_on_mention": current_user.email_on_mention,
        "follow_mail": preference.follow_mail if preference else "off"}))
    forms.setdefault("password_form", PasswordChangeForm(formdata=None))
    forms.setdefault("email_form", EmailChangeForm(formdata=None))
    return render_template("users/settings.html", sign_ins=sessions.live_count(current_user), **forms)


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
    preference = db.session.get(MailPreference, current_user.id)
    if preference is None:
        preference = MailPreference(user_id=current_user.id)
        db.session.add(preference)
    if preference.follow_mail != "daily" and form.follow_mail.data == "daily":
        # the first digest starts from now: not from every notification ever, nor again from those mailed one by one
        preference.last_digest_at = utcnow()
    preference.follow_mail = form.follow_mail.data
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
    if not form.validate_on_submit():
        return _settings_page(password_form=form), 400
    if wait := login_limits.account_change_limit_exceeded(current_user):
        return _too_many_changes(wait, password_form=form)
    if not form.check_current_password(current_user):
        security_event("password_change_failed", user_id=current_user.id)
        return _settings_page(password_form=form), 400
    current_user.password_hash = passwords.hash_password(form.new_password.data)
    sessions.revoke_others(current_user)  # every other session and remember-me cookie now fails to load
    db.session.execute(PasswordResetToken.spend_all(current_user.id))
    db.session.commit()
    security_event("password_changed", user_id=current_user.id)
    flash("Password changed. You have been signed out everywhere else.", "success")
    return redirect(url_for("users.settings"))


@bp.route("/settings/email", methods=["POST"])
@login_required
def change_email():
    """The password first, then the same answer and the same work whether or not the address has an account: the
    job decides what to mail (forum.auth.email_change)."""
    form = EmailChangeForm()
    if not form.validate_on_submit():
        return _settings_page(email_form=form), 400
    if wait := login_limits.account_change_limit_exceeded(current_user):
        return _too_many_changes(wait, email_form=form)
    if not form.check_current_password(current_user):
        security_event("email_change_failed", user_id=current_user.id)
        return _settings_page(email_form=form), 400
    if form.email.data == current_user.email:
        form.email.errors = ["That is already your address."]
        return _settings_page(email_form=form), 400
    enqueue(email_change.send_link, current_user.id, form.email.data)
    db.session.commit()  # writes nothing: it releases the job
    security_event("email_change_requested", user_id=current_user.id)
    flash(f"We sent a link to {form.email.data}. Your address changes when you open it; until then it stays "
          f"{current_user.email}.", "info")
    return redirect(url_for("users.settings"))


@bp.route("/settings/email/confirm/<token>", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
@secret_in_path
def confirm_email(token: str):
    """The link mailed to the new address: GET shows a button (mail scanners open links), POST makes the change.
    No sign-in needed: the signed link names the account, and only the new address's mailbox has it."""
    change = email_change.read(token)
    user = email_change.pending_for(change) if change else None
    if user is None:
        return render_error(404, EMAIL_LINK_EXPIRED)
    form = BaseForm()
    if form.validate_on_submit():
        try:
            email_change.apply(user, change)
            db.session.commit()
        except sa.exc.IntegrityError:  # an account took the address after the link was mailed
            db.session.rollback()
            return render_error(409, f"Another account now uses {change.new}, so your address stays {change.old}.")
        security_event("email_changed", user_id=change.user_id)
        flash(f"Your address is now {change.new}.", "success")
        return redirect(url_for("users.settings"))
    return render_template("users/settings_email_confirm.html", form=form, change=change)


def _too_many_changes(wait: int, **forms):
    """429 with the settings page, the refused form and what was typed: the password and email changes share
    one allowance per account (forum.auth.login_limits)."""
    for form in forms.values():
        form.form_errors.append(f"Too many password and email changes for now. Try again in {wait // 60 + 1} "
                                "minutes.")
    return _settings_page(**forms), 429, {"Retry-After": str(wait)}


@bp.route("/settings/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """Ends every sign-in of the account, this one too: someone who fears a copied cookie signs in afresh."""
    user = current_user._get_current_object()
    sessions.revoke_all(user)
    sessions.end(user)
    db.session.commit()
    security_event("signed_out_everywhere", user_id=user.id)
    flash("You are signed out everywhere, here too.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/notifications")
@login_required
def notifications_page():
    """The newest notifications, those since the last visit marked new. Opening the page clears the header's count
    through the session, not the database: a GET writes nothing (forum.notifications)."""
    rows = notifications.page_rows(current_user.id, NOTIFICATIONS_SHOWN)
    last_visit = notifications.mark_seen(current_user.id)
    new = {n.id for n in rows if n.read_at is None and (last_visit is None or n.created_at > last_visit)}
    return render_template("users/notifications.html", notifications=rows, new=new,
                           snippets={n.id: notifications.snippet(n) for n in rows})


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_notifications_read():
    notifications.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for("users.notifications_page"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
@secret_in_path
def unsubscribe(token: str):
    """The link in every notification mail. GET shows one button (mail scanners open links; a GET changes
    nothing); POST turns that mail off, no sign-in needed.

    Exempt from CSRF, this view alone: RFC 8058's one-click unsubscribe is a POST from the mail provider, which has
    no session and no form token. The signed token in the address is what authorises it: only the member's
    mailbox has it, so a forged request from another site cannot carry it, and all it can do is stop mail."""
    found = notifications.read_unsubscribe_token(token)
    user = db.session.get(User, found[0]) if found else None
    if user is None:
        return render_error(400, UNSUBSCRIBE_LINK_BAD)
    list_name = notifications.MAIL_LISTS[found[1]]
    if request.method == "POST":
        notifications.unsubscribe(user, found[1])
        db.session.commit()
        return render_template("users/unsubscribe.html", list_name=list_name, done=True)
    return render_template("users/unsubscribe.html", list_name=list_name, done=False)


@bp.route("/saved")
@login_required
def saved():
    stories = list(db.session.scalars(
        sa.select(Story).join(SavedStory, SavedStory.story_id == Story.id)
        .where(SavedStory.user_id == current_user.id, Story.status == "published")
        .options(selectinload(Story.resource_links)).order_by(SavedStory.created_at.desc()).limit(200)))
    return render_template("users/saved.html", stories=stories, steps=exam.STEPS)
