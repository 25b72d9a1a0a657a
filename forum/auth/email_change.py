"""Changing an account's address: the change happens when a link mailed to the new address is opened.

The settings page takes the new address and the current password, and answers the same whether or not another
account uses that address: the job below decides, when it runs, between mailing the new address a confirmation
link and mailing it a note that it already has an account. So the page tells nobody which addresses have accounts,
and an address changes only for someone who can read its mail.

The link is a signed, expiring token (itsdangerous, keyed by SECRET_KEY) naming the account, the new address and
the address it had when the link was made: once the change is applied the old address no longer matches, so the
link works once. Nothing is stored until then.
"""
from datetime import timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app, render_template
from itsdangerous import BadData, URLSafeTimedSerializer

from .. import mail
from ..extensions import db
from ..jobs import enqueue, job
from ..logs import security_event
from ..models import PasswordResetToken, User
from ..urls import external_url

LINK_LIFETIME = timedelta(hours=24)  # long enough to find the mail tomorrow; the old address still works meanwhile
SALT = "email-change"  # a token signed for this purpose is worthless anywhere else the secret key signs


class EmailChange(NamedTuple):
    user_id: int
    new: str
    old: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def read(token: str) -> EmailChange | None:
    """The change a link asks for, or None when it is forged, malformed or expired."""
    try:
        user_id, new, old = _serializer().loads(token, max_age=int(LINK_LIFETIME.total_seconds()))
        return EmailChange(int(user_id), str(new), str(old))
    except (BadData, TypeError, ValueError):
        return None


def pending_for(change: EmailChange) -> User | None:
    """The account the link changes, while the link still applies (the account keeps the address it was made for)."""
    user = db.session.get(User, change.user_id)
    return user if user is not None and user.email == change.old else None


def apply(user: User, change: EmailChange) -> None:
    """Give the account its new address; the caller commits. Every open reset or sign-in link is spent (they went
    to the old address), and the old address is told."""
    user.email = change.new
    db.session.execute(PasswordResetToken.spend_all(user.id))
    enqueue(tell_old_address, user.id, change.old)


@job
def send_link(user_id: int, new_address: str) -> None:
    """Mail the new address a link that applies the change or, when an account already uses it, a note saying so
    (its owner learns someone tried; the member who typed it learns nothing from the page)."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    taken = db.session.scalar(sa.select(User.id).where(User.email == new_address)) is not None
    if taken:
        mail.send(to=new_address, subject="Someone tried to move a Step Stories account to this address",
                  body=render_template("users/email_change_taken.txt"))
        security_event("email_change_refused", user_id=user.id, why="address in use")
        return
    token = _serializer().dumps([user.id, new_address, user.email])
    mail.send(to=new_address, subject="Confirm your new Step Stories address",
              body=render_template("users/email_change_confirm.txt", user=user,
                                   link=external_url("users.confirm_email", token=token),
                                   hours=int(LINK_LIFETIME.total_seconds() // 3600)))


@job
def tell_old_address(user_id: int, old_address: str) -> None:
    """Tell the address an account just left: if the member did not ask, this is how they find out."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    mail.send(to=old_address, subject="Your Step Stories address was changed",
              body=render_template("users/email_changed_notice.txt", user=user))
