"""Links mailed to an account: a password reset, a one-time sign-in. Each is a job (forum.jobs) that looks the
account up when it runs, so the request that asks for one does the same work, and answers alike, whether or not
the address or account exists; no SMTP conversation runs inside a request."""
import sqlalchemy as sa
from flask import render_template

from .. import mail
from ..extensions import db
from ..jobs import job
from ..logs import security_event
from ..models import PasswordResetToken, User
from ..urls import external_url


@job
def send_reset_link(address: str) -> None:
    """Mail a reset link to the account that uses address (already normalised), if one does; else nothing."""
    user = db.session.scalar(sa.select(User).where(User.email == address))
    if user is not None:
        _mail_link(user, purpose="reset", endpoint="auth.reset_password", template="auth/reset_email.txt",
                   subject="Choose a new Step Stories password", event="password_reset_link_sent")


@job
def send_sign_in_link(user_id: int) -> None:
    """Mail the account a one-time sign-in link (its password was typed right from a new address while the account
    was under attack, forum.auth.login_limits)."""
    user = db.session.get(User, user_id)
    if user is not None:
        _mail_link(user, purpose="sign_in", endpoint="auth.sign_in_link", template="auth/sign_in_email.txt",
                   subject="Your Step Stories sign-in link", event="sign_in_link_sent")


def _mail_link(user: User, *, purpose: str, endpoint: str, template: str, subject: str, event: str) -> None:
    """Issue a single-use link of this purpose, mail it to the account's address, and log that it went."""
    row, secret = PasswordResetToken.issue(user, purpose)
    db.session.add(row)
    link = external_url(endpoint, token=secret)
    mail.send_later(to=user.email, subject=subject, body=render_template(template, user=user, link=link))
    db.session.commit()
    security_event(event, user_id=user.id)
