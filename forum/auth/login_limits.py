"""How many wrong passwords an account takes, and from where; and how often its password and address may change.

Failed sign-ins are counted per account *and address*, so a guesser is paused while the member, whose address has
its own count, signs in as usual: nobody can lock a member out from elsewhere. They are also counted per account
across every address. Past that cap (a botnet spreading its guesses), the right password from an address the
account has not signed in from lately earns a one-time link mailed to the account instead of a session, and the
page says the same whether the password was right or not.

The account is the account, whatever was typed: its username and its email share one count. A login that names no
account is counted under its normalised text, so an unknown name is paused like a known one. The per-address limit
on all sign-ins stays on the view (Flask-Limiter's decorator). Every counter lives in Flask-Limiter's storage:
memory in one process, Redis across workers.
"""
from datetime import timedelta

import sqlalchemy as sa
from flask import request
from limits import parse

from .. import posting_limits
from ..extensions import db
from ..models import LoginSession, User, utcnow

FAILURES_PER_ACCOUNT_AND_ADDRESS = parse("10 per 15 minutes")  # a pause for one guesser; the owner is elsewhere
FAILURES_PER_ACCOUNT = parse("50 per 15 minutes")  # five times that from every address together: an attack
KNOWN_ADDRESS_WINDOW = timedelta(days=30)  # an address signed in from this recently may still sign in past the cap
ACCOUNT_CHANGES = parse("5 per 15 minutes")  # password and email changes: each checks the current password


def account_key(login: str, user: User | None) -> str:
    """The one name an account's failures are counted under, however it was typed."""
    return f"user:{user.id}" if user is not None else "login:" + login.strip().casefold()[:254]


def seconds_paused(account: str) -> int:
    """Seconds until this address may try this account again, or 0. Spends nothing: only failures count."""
    return posting_limits.wait(FAILURES_PER_ACCOUNT_AND_ADDRESS, "login-account-address", account, _address())


def under_attack(account: str) -> bool:
    """Whether the account has taken more failures from all addresses together than its cap."""
    return bool(posting_limits.wait(FAILURES_PER_ACCOUNT, "login-account", account))


def record_failure(account: str) -> None:
    posting_limits.record(FAILURES_PER_ACCOUNT_AND_ADDRESS, "login-account-address", account, _address())
    posting_limits.record(FAILURES_PER_ACCOUNT, "login-account", account)


def known_address(user: User) -> bool:
    """Whether the account signed in from this address within KNOWN_ADDRESS_WINDOW (revoked sign-ins count)."""
    return db.session.scalar(sa.select(LoginSession.id).where(
        LoginSession.user_id == user.id, LoginSession.ip_address == _address(),
        LoginSession.created_at > utcnow() - KNOWN_ADDRESS_WINDOW).limit(1)) is not None


def account_change_limit_exceeded(user: User) -> int:
    """Spend one password or email change from the account's allowance; seconds to wait if it was spent, else 0."""
    return posting_limits.spend(ACCOUNT_CHANGES, "account-change", str(user.id))


def _address() -> str:
    return request.remote_addr or ""
