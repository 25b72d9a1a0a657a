"""The data model. Times are naive UTC on both backends, so SQLite and PostgreSQL compare alike."""
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db

ROLES = ("member", "moderator", "admin")
USERNAME_PATTERN = r"^[A-Za-z0-9_-]{3,30}$"  # letters, digits, - and _: safe in a URL and an @mention
BACKGROUNDS = {"us_md": "US MD", "us_do": "US DO", "img": "IMG", "other": "Other"}
# A permanent ban is a ban until a date nobody will see; one column then answers "banned now?" for both kinds.
PERMANENT_BAN_UNTIL = datetime(9999, 12, 31)
RESET_TOKEN_LIFETIME = timedelta(hours=1)
LOGIN_SESSION_LIFETIME = timedelta(days=7)  # without "keep me signed in": a browser left open a week signs in again
REMEMBER_LIFETIME = timedelta(days=30)  # what the sign-in form promises ("Keep me signed in for 30 days")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def hash_token(token: str) -> str:
    """What is stored of a secret mailed or set in a cookie: a leaked database then holds no working link or
    sign-in. SHA-256 suffices: the tokens are 256 random bits, nothing to guess."""
    return hashlib.sha256(token.encode()).hexdigest()


def username_key(username: str) -> str:
    """The form of a username that sign-in and @mentions look up: 'Alice' and 'alice' are one name."""
    return username.strip().casefold()


# Pairs that read alike in a username (letters, digits, - and _ only): the longer spellings first, so "rn" is
# folded before its "r" could be read on its own.
_CONFUSABLE_FOLDS = (("rn", "m"), ("vv", "w"), ("_", "-"), ("0", "o"), ("1", "l"), ("i", "l"), ("5", "s"))


def username_fold(username: str) -> str:
    """The form new usernames must be unique by: look-alikes fold together, so `dr_okafor`, `Dr-Okafor` and
    `dr-0kafor` are one name. Accounts that collided before this rule keep their names (migration 0008)."""
    folded = username_key(username)
    for alike, into in _CONFUSABLE_FOLDS:
        folded = folded.replace(alike, into)
    return folded


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(30))
    username_key: Mapped[str] = mapped_column(sa.String(30), unique=True)
    # username_fold() of the name; an account that collided when the rule came in holds "<fold>~<id>" instead.
    username_fold: Mapped[str] = mapped_column(sa.String(40), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default="member", server_default="member")
    background: Mapped[str | None] = mapped_column(sa.String(16))
    bio: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    banned_until: Mapped[datetime | None]
    ban_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    karma: Mapped[int] = mapped_column(default=0, server_default="0")
    # Cached so the header shows it without a query; written in the same transaction as the notifications.
    unread_notifications: Mapped[int] = mapped_column(default=0, server_default="0")
    # How many things the member follows (forum.following): a page's Follow button asks nothing of a member at 0.
    follow_count: Mapped[int] = mapped_column(default=0, server_default="0")
    email_on_reply: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    email_on_mention: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # No longer read: sign-ins are LoginSession rows (forum.auth.sessions). Kept until a migration drops it.
    auth_version: Mapped[int] = mapped_column(default=1, server_default="1")

    @validates("username")
    def _keep_username_keys(self, _name: str, username: str) -> str:
        """Setting the name sets its fold (the uniqueness key for new names); username_key stays explicit."""
        self.username_fold = username_fold(username)
        return username

    # The secret of the sign-in (LoginSession) this object was loaded by or signed in with; set by forum.auth.sessions,
    # never stored in this table. A plain attribute, not a column.
    login_token = None

    def get_id(self) -> str:
        """Flask-Login's id, kept in the session and the remember-me cookie: the account and the sign-in, so revoking
        that LoginSession ends every copy of either cookie."""
        if self.login_token is None:
            raise RuntimeError("a user is signed in through forum.auth.sessions.start, which attaches the sign-in")
        return f"{self.id}:{self.login_token}"

    @property
    def is_banned(self) -> bool:
        return self.banned_until is not None and self.banned_until > utcnow()

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def background_label(self) -> str:
        return BACKGROUNDS.get(self.background or "", "")

    def __repr__(self) -> str:
        return f"<User {self.username}>"


TOKEN_PURPOSES = ("reset", "sign_in")  # a password reset link, or a one-time sign-in link (forum.auth)


class PasswordResetToken(db.Model):
    """A single-use link mailed to the owner: a password reset, or a one-time sign-in. Only a hash is stored, so a
    leaked database holds no working link. Changing the password or the email spends every open one."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    purpose: Mapped[str] = mapped_column(sa.String(16), default="reset", server_default="reset")

    user: Mapped[User] = relationship()

    hash = staticmethod(hash_token)

    @classmethod
    def issue(cls, user: User, purpose: str = "reset") -> tuple["PasswordResetToken", str]:
        """A new token row and the secret to mail; the secret itself is never stored."""
        secret = secrets.token_urlsafe(32)
        now = utcnow()
        row = cls(user=user, token_hash=cls.hash(secret), created_at=now, expires_at=now + RESET_TOKEN_LIFETIME,
                  purpose=purpose)
        return row, secret

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > utcnow()

    @classmethod
    def spend_all(cls, user_id: int) -> sa.Update:
        """Spend every open link of the account, of both purposes: after a password or email change, a link mailed
        before it must not work (a reset to the old address, or a sign-in link it already holds)."""
        return sa.update(cls).where(cls.user_id == user_id, cls.used_at.is_(None)).values(used_at=utcnow())


class LoginSession(db.Model):
    """One sign-in: what a session cookie and its remember-me cookie point at. Only a hash of the token is stored.

    Signing out revokes the row, so every copy of either cookie stops working; "sign out everywhere" and a
    password change revoke them all. A row expires on its own (LOGIN_SESSION_LIFETIME or, remembered,
    REMEMBER_LIFETIME), whatever the cookie claims."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    remember: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    ip_address: Mapped[str] = mapped_column(sa.String(45), default="", server_default="")

    user: Mapped[User] = relationship()

    hash = staticmethod(hash_token)

    @classmethod
    def start(cls, user: User, *, remember: bool, ip_address: str) -> tuple["LoginSession", str]:
        """A new sign-in row and the secret the cookies carry; the secret itself is never stored."""
        secret = secrets.token_urlsafe(32)
        now = utcnow()
        lifetime = REMEMBER_LIFETIME if remember else LOGIN_SESSION_LIFETIME
        row = cls(user=user, token_hash=cls.hash(secret), created_at=now, expires_at=now + lifetime,
                  remember=remember, ip_address=ip_address[:45])
        return row, secret

    @classmethod
    def live(cls) -> sa.ColumnElement[bool]:
        """The condition a row must meet for its cookies to sign anyone in (the loader's WHERE clause)."""
        return sa.and_(cls.revoked_at.is_(None), cls.expires_at > utcnow())

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()
