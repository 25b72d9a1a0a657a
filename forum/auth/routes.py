"""Register, sign in, sign out and reset a forgotten password."""
import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import mail, passwords
from ..errors import keeps_input_on_csrf_failure
from ..extensions import db, limiter
from ..logs import login_hint, secret_in_path, security_event
from ..models import PasswordResetToken, User, username_key, utcnow
from ..security import safe_next_url
from . import bp
from .forms import LoginForm, RegisterForm, ResetPasswordForm, ResetRequestForm, normalise_email

# Failed sign-ins allowed before a pause, per address and per account. Per account stops a botnet guessing one
# password from many addresses; per address stops one host guessing many accounts.
LOGIN_LIMIT_PER_IP = "20 per 15 minutes"
LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
REGISTER_LIMIT = "5 per hour"
RESET_LIMIT = "5 per hour"
WRONG_CREDENTIALS = "That username or email and password do not match an account."
RESET_SENT = ("If an account uses that address, we have sent it a link to choose a new password. "
              "The link works once, for one hour.")


def _failed(response) -> bool:
    """Only a sign-in that did not redirect (i.e. failed) spends the allowance."""
    return response.status_code != 302


def _login_account_key() -> str:
    return "login-account:" + (request.form.get("login") or "").strip().casefold()[:254]


def find_user_by_login(login: str) -> User | None:
    if "@" in login:
        try:
            email = normalise_email(login)
        except ValueError:
            return None
        return db.session.scalar(sa.select(User).where(User.email == email))
    return db.session.scalar(sa.select(User).where(User.username_key == username_key(login)))


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
        db.session.commit()
        security_event("registered", user_id=user.id)
        login_user(user)
        flash(f"Welcome to Step Stories, {user.username}.", "success")
        return redirect(url_for("hubs.home"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
@limiter.limit(LOGIN_LIMIT_PER_IP, methods=["POST"], deduct_when=_failed)
@limiter.limit(LOGIN_LIMIT_PER_ACCOUNT, methods=["POST"], key_func=_login_account_key, deduct_when=_failed)
def login():
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("hubs.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user_by_login(form.login.data)
        if passwords.verify_password(user.password_hash if user else None, form.password.data):
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash_password(form.password.data)
                db.session.commit()
            login_user(user, remember=form.remember.data)
            security_event("signed_in", user_id=user.id)
            if user.is_banned:
                flash(f"Your account is suspended until {user.banned_until:%d %B %Y}: {user.ban_reason}. "
                      "You can read, but not post, comment or vote.", "warning")
            return redirect(next_url or url_for("hubs.home"))
        # Never the login itself: a password pasted into the username box would land in the log.
        security_event("sign_in_failed", login_hint=login_hint(form.login.data))
        form.form_errors.append(WRONG_CREDENTIALS)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    security_event("signed_out", user_id=current_user.id)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("hubs.home"))


@bp.route("/reset", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
@limiter.limit(RESET_LIMIT, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = db.session.scalar(sa.select(User).where(User.email == form.email.data))
        if user is not None:
            row, secret = PasswordResetToken.issue(user)
            db.session.add(row)
            db.session.commit()
            link = url_for("auth.reset_password", token=secret, _external=True)
            mail.send(to=user.email, subject="Choose a new Step Stories password", body=render_template(
                "auth/reset_email.txt", user=user, link=link))
            security_event("password_reset_requested", user_id=user.id)
        else:
            security_event("password_reset_requested", login_hint=login_hint(form.email.data), known="no")
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
@secret_in_path
@limiter.limit(RESET_LIMIT, methods=["POST"])
def reset_password(token: str):
    row = db.session.scalar(sa.select(PasswordResetToken).where(
        PasswordResetToken.token_hash == PasswordResetToken.hash(token)))
    if row is None or not row.is_usable:
        security_event("password_reset_link_refused", user_id=row.user_id if row else None,
                       why="unknown" if row is None else "used or expired")
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = row.user
        user.password_hash = passwords.hash_password(form.password.data)
        user.auth_version += 1  # signs out every session, here and elsewhere
        now = utcnow()
        db.session.execute(sa.update(PasswordResetToken).where(
            PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)).values(used_at=now))
        db.session.commit()
        security_event("password_reset_completed", user_id=user.id)
        flash("Your password is changed. Sign in with it now.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the id carries the auth version, so a changed password ends old sessions."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or str(user.auth_version) != raw_version:
        return None
    return user


def unauthorized_redirect():
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    flash("Sign in to do that.", "info")
    return redirect(url_for("auth.login"))


def init_login_manager(login_manager) -> None:
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized_redirect)
    login_manager.session_protection = "basic"
