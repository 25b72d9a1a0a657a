"""Sign-ins the server can end: each one is a LoginSession row, and the cookies carry "<user id>:<token>".

Flask-Login keeps whatever User.get_id returns in the session and the remember-me cookie. Here that is the account
and the secret of one sign-in, and the loader accepts it only while that row is live: signing out revokes the row,
so every copy of either cookie fails at once; a remembered sign-in ends when its row expires, whatever the cookie
claims; "sign out everywhere", a password change and a reset revoke rows in bulk. A cookie in the old format
("<user id>:<auth version>") names no row, so it simply signs its holder out.

Every sign-in also starts a new Flask session, so nothing from before it (a CSRF secret, a planted session) lives on.
"""
import sqlalchemy as sa
from flask import g, request, session
from flask_login import login_user, logout_user

from .. import caching
from ..extensions import db
from ..loaders import MAX_ID
from ..models import LoginSession, User, utcnow
from .login_limits import KNOWN_ADDRESS_WINDOW


def start(user: User, *, remember: bool = False) -> None:
    """Sign user in on this browser with a new LoginSession; the caller commits.

    The Flask session is emptied first and the CSRF token Flask-WTF cached for this request is dropped, so a token
    (or any session value) an attacker planted or read before the sign-in is worthless after it."""
    caching.retire()  # a sign-in changes no page anyone else sees
    row, token = LoginSession.start(user, remember=remember, ip_address=request.remote_addr or "")
    db.session.add(row)
    db.session.flush()  # the user's id, for get_id
    # Rows past any use (ended, and older than the window in which their address counts as known) go.
    db.session.execute(sa.delete(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.expires_at < utcnow() - KNOWN_ADDRESS_WINDOW))
    session.clear()
    g.pop("csrf_token", None)
    user.login_token = token
    login_user(user, remember=remember)


def end(user: User) -> None:
    """Sign out here: revoke this sign-in's row (every copy of its cookies dies with it) and empty the session.
    The caller commits."""
    caching.retire()
    db.session.execute(_revoke(LoginSession.user_id == user.id,
                               LoginSession.token_hash == LoginSession.hash(user.login_token)))
    session.clear()
    logout_user()  # after the clear: it asks the browser to drop the remember-me cookie through the session


def revoke_all(user: User) -> None:
    """End every sign-in of the account, this one included (a password reset, "sign out everywhere")."""
    db.session.execute(_revoke(LoginSession.user_id == user.id))


def revoke_others(user: User) -> None:
    """End every sign-in of the account but the one this request came with (a password change)."""
    db.session.execute(_revoke(LoginSession.user_id == user.id,
                               LoginSession.token_hash != LoginSession.hash(user.login_token)))


def live_count(user: User) -> int:
    """How many browsers the account is signed in on, for the settings page."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.live()))


def _revoke(*conditions) -> sa.Update:
    return sa.update(LoginSession).where(*conditions, LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow())


def load_user(cookie_id: str) -> User | None:
    """Flask-Login's loader: the user of a live sign-in, in one query (the user and the row together), as every
    signed-in page runs it. A refused id leaves the session, so the visitor is plainly signed out from then on
    (served from the page cache, no no-store) rather than asked about on every page."""
    raw_id, _, token = (cookie_id or "").partition(":")
    user = None
    if raw_id.isascii() and raw_id.isdigit() and 1 <= int(raw_id) <= MAX_ID and token:
        user = db.session.scalar(sa.select(User).join(LoginSession, LoginSession.user_id == User.id).where(
            User.id == int(raw_id), LoginSession.token_hash == LoginSession.hash(token), LoginSession.live()))
    if user is None:
        session.pop("_user_id", None)
        return None
    user.login_token = token
    return user
