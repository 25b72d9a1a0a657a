"""Register, sign in (with a password, or a one-time link), sign out and reset a forgotten password."""
import logging

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import TooManyRequests

from .. import passwords
from ..errors import keeps_input_on_csrf_failure, render_error
from ..extensions import db, limiter
from ..forms import BaseForm
from ..jobs import enqueue
from ..logs import login_hint, secret_in_path, security_event
from ..models import PasswordResetToken, User, username_key, utcnow
from ..security import safe_next_url
from . import account_mail, bp, login_limits, sessions
from .forms import LoginForm, RegisterForm, ResetPasswordForm, ResetRequestForm, normalise_email

# Sign-ins that fail, per address: stops one host guessing many accounts. Failures per account (and address) are
# counted in forum.auth.login_limits, which also decides what happens past an account's cap.
LOGIN_LIMIT_PER_IP = "20 per 15 minutes"
REGISTER_LIMIT = "5 per hour"
RESET_LIMIT = "5 per hour"
WRONG_CREDENTIALS = "That username or email and password do not match an account."
SIGN_IN_LINK_SENT = ("Many wrong passwords have been tried against this account lately, so a sign-in from here "
                     "takes one more step: if the password was right, we have emailed the account a sign-in link. "
                     "It works once, for one hour.")
RESET_SENT = ("If an account uses that address, we have sent it a link to choose a new password. "
              "The link works once, for one hour.")
LINK_EVENTS = {"reset": "password_reset_link", "sign_in": "sign_in_link"}  # the log's name for each kind of link
LINK_EXPIRED = "Sign-in links work once, for one hour. Sign in again to have a new one sent."


def _failed(response) -> bool:
    """Only a sign-in that did not redirect (i.e. failed) spends the allowance."""
    return response.status_code != 302


def find_user_by_login(login: str) -> User | None:
    if "@" in login:
        try:
            email = normalise_email(login)
        except ValueError:
            return None
        return db.session.scalar(sa.select(User).where(User.email == email))
    return db.session.scalar(sa.select(User).where(User.username_key == username_key(login)))


def _inserted(user: User, form: RegisterForm) -> bool:
    """Write the new account; False when another registration took its name or address since the form's checks
    ran. The unique constraints decide such a race; once the rival has committed, the form's own checks name the
    field (the name, its look-alike, or the address), so the loser sees a field error, never a 500."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        if form.validate():
            form.form_errors.append("That username or address was just taken. Choose again.")
        return False
    return True


@bp.route("/register", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
@limiter.limit(REGISTER_LIMIT, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("hubs.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        user = User(username=form.username.data, username_key=username_key(form.username.data),
                    email=form.email.data, password_hash=passwords.hash_password(form.password.data),
                    background=form.background.data or None)
        db.session.add(user)
        if not _inserted(user, form):
            return render_template("auth/register.html", form=form)
        sessions.start(user)
        db.session.commit()
        security_event("registered", user_id=user.id)
        flash(f"Welcome to Step Stories, {user.username}.", "success")
        return redirect(url_for("hubs.home"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
@limiter.limit(LOGIN_LIMIT_PER_IP, methods=["POST"], deduct_when=_failed)
def login():
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("hubs.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    # Never the login itself in the log: a password pasted into the username box would land there.
    hint = login_hint(form.login.data)
    user = find_user_by_login(form.login.data)
    account = login_limits.account_key(form.login.data, user)
    if wait := login_limits.seconds_paused(account):
        security_event("account_locked", level=logging.WARNING, login_hint=hint)
        raise TooManyRequests(retry_after=wait)
    right = passwords.verify_password(user.password_hash if user else None, form.password.data)
    if login_limits.under_attack(account):
        known = user is not None and login_limits.known_address(user)  # asked either way: no timing tells
        if not (right and known):
            return _offer_sign_in_link(form, user if right else None, account)
    if not right:
        login_limits.record_failure(account)
        security_event("sign_in_failed", login_hint=hint)
        form.form_errors.append(WRONG_CREDENTIALS)
        return render_template("auth/login.html", form=form)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(form.password.data)
    sessions.start(user, remember=form.remember.data)
    db.session.commit()
    security_event("signed_in", user_id=user.id)
    _warn_if_banned(user)
    return redirect(next_url or url_for("hubs.home"))


def _offer_sign_in_link(form: LoginForm, user: User | None, account: str):
    """Past the account's cap, from an address it has not signed in from: mail a one-time link when the password
    was right (user), count a failure when it was not, and answer both alike, so the page never confirms a
    guessed password."""
    if user is None:
        login_limits.record_failure(account)
        security_event("sign_in_failed", login_hint=login_hint(form.login.data), past_cap="yes")
    else:
        enqueue(account_mail.send_sign_in_link, user.id)
        db.session.commit()  # writes nothing: it releases the job
        security_event("sign_in_link_requested", user_id=user.id)
    return render_template("auth/login.html", form=form, notice=SIGN_IN_LINK_SENT)


def _warn_if_banned(user: User) -> None:
    if user.is_banned:
        flash(f"Your account is suspended until {user.banned_until:%d %B %Y}: {user.ban_reason}. "
              "You can read, but not post, comment or vote.", "warning")


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
@secret_in_path
@limiter.limit(RESET_LIMIT, methods=["POST"])
def sign_in_link(token: str):
    """A one-time sign-in link: GET shows a button (mail scanners open links), POST signs in."""
    row = _open_link(token, purpose="sign_in")
    if row is None:
        return render_error(404, LINK_EXPIRED)
    form = BaseForm()
    if form.validate_on_submit():
        if not _claim(row):
            return render_error(404, LINK_EXPIRED)
        user = row.user
        sessions.start(user)
        db.session.commit()
        security_event("signed_in", user_id=user.id, by="link")
        _warn_if_banned(user)
        return redirect(url_for("hubs.home"))
    return render_template("auth/sign_in_link.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    security_event("signed_out", user_id=current_user.id)
    sessions.end(current_user._get_current_object())
    db.session.commit()
    flash("You are signed out.", "info")
    return redirect(url_for("hubs.home"))


@bp.route("/reset", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
@limiter.limit(RESET_LIMIT, methods=["POST"])
def reset_request():
    """The same work for every address: the job looks the account up after the response (account_mail)."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        enqueue(account_mail.send_reset_link, form.email.data)
        db.session.commit()  # writes nothing: it releases the job
        security_event("password_reset_requested", login_hint=login_hint(form.email.data))
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
@secret_in_path
@limiter.limit(RESET_LIMIT, methods=["POST"])
def reset_password(token: str):
    row = _open_link(token, purpose="reset")
    if row is None:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if not _claim(row):
            return render_template("auth/reset_invalid.html"), 404
        user = row.user
        user.password_hash = passwords.hash_password(form.password.data)
        sessions.revoke_all(user)  # whoever held a session learnt nothing that still works
        db.session.execute(PasswordResetToken.spend_all(user.id))
        db.session.commit()
        security_event("password_reset_completed", user_id=user.id)
        flash("Your password is changed. Sign in with it now.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


def _open_link(token: str, *, purpose: str) -> PasswordResetToken | None:
    """The mailed link a token opens, if it is still usable; logged either way, never with the token."""
    row = db.session.scalar(sa.select(PasswordResetToken).where(
        PasswordResetToken.token_hash == PasswordResetToken.hash(token), PasswordResetToken.purpose == purpose))
    if row is None or not row.is_usable:
        security_event(f"{LINK_EVENTS[purpose]}_refused", user_id=row.user_id if row else None,
                       why="unknown" if row is None else "used or expired")
        return None
    return row


def _claim(row: PasswordResetToken) -> bool:
    """Spend the link in the database, which decides: of two requests racing with one link, only one gets it."""
    return db.session.scalar(sa.update(PasswordResetToken).where(
        PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow()).returning(PasswordResetToken.id)) is not None


def unauthorized_redirect():
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    flash("Sign in to do that.", "info")
    return redirect(url_for("auth.login"))


def init_login_manager(login_manager) -> None:
    login_manager.user_loader(sessions.load_user)
    login_manager.unauthorized_handler(unauthorized_redirect)
    login_manager.session_protection = "basic"
