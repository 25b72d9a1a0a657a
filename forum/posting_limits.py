"""Posting limits checked inside views, so a refused post can be shown again with everything typed.

Flask-Limiter's decorators answer before the view runs, which would lose a story; here the view asks first and
renders the form itself. Counters share Flask-Limiter's storage (memory, or Redis across processes), under the
site's own key prefix like the decorators' counters, so two sites (or test runs) on one Redis never share one.
`spend`, `wait` and `record` are the three ways a view uses a counter; forum.auth.login_limits uses them too.
"""
import time
from datetime import timedelta

from flask import current_app, make_response
from limits import parse

from .extensions import limiter
from .models import utcnow

NEW_ACCOUNT_AGE = timedelta(days=7)  # younger accounts get the lower limits: most spam comes from fresh accounts
STORY_LIMIT = parse("10 per hour")
STORY_LIMIT_NEW_ACCOUNT = parse("3 per hour")


def story_limit_exceeded(user) -> int:
    """Spend one story from the user's allowance; return seconds to wait if it was already spent, else 0."""
    new_account = utcnow() - user.created_at < NEW_ACCOUNT_AGE
    item = STORY_LIMIT_NEW_ACCOUNT if new_account else STORY_LIMIT
    return spend(item, "story", str(user.id))


def spend(item, *identifiers: str) -> int:
    """Spend one from the allowance; seconds to wait if it was already spent, else 0."""
    if not limiter.enabled:
        return 0
    if limiter.limiter.hit(item, *_keyed(identifiers)):
        return 0
    return _seconds_to_reset(item, identifiers)


def wait(item, *identifiers: str) -> int:
    """Seconds until the allowance has room again, or 0; spends nothing."""
    if not limiter.enabled or limiter.limiter.test(item, *_keyed(identifiers)):
        return 0
    return _seconds_to_reset(item, identifiers)


def record(item, *identifiers: str) -> None:
    """Count one (a failure, say) without asking whether there was room."""
    if limiter.enabled:
        limiter.limiter.hit(item, *_keyed(identifiers))


def _keyed(identifiers: tuple[str, ...]) -> tuple[str, ...]:
    return (current_app.config["RATELIMIT_KEY_PREFIX"], *identifiers)


def _seconds_to_reset(item, identifiers: tuple[str, ...]) -> int:
    reset_at, _remaining = limiter.limiter.get_window_stats(item, *_keyed(identifiers))
    return max(1, int(reset_at - time.time()))


COMMENT_LIMIT = parse("30 per 10 minutes")
COMMENT_LIMIT_NEW_ACCOUNT = parse("6 per 10 minutes")
VOTE_LIMIT = parse("120 per minute")
VOTE_LIMIT_NEW_ACCOUNT = parse("30 per minute")


def comment_limit_exceeded(user) -> int:
    new_account = utcnow() - user.created_at < NEW_ACCOUNT_AGE
    return spend(COMMENT_LIMIT_NEW_ACCOUNT if new_account else COMMENT_LIMIT, "comment", str(user.id))


def vote_limit_exceeded(user) -> int:
    new_account = utcnow() - user.created_at < NEW_ACCOUNT_AGE
    return spend(VOTE_LIMIT_NEW_ACCOUNT if new_account else VOTE_LIMIT, "vote", str(user.id))


# Edits (stories and comments alike) and reports: a member's allowance, checked inside the view so a refused edit
# or report comes back with everything typed. A preview spends its own allowance, never the story allowance.
EDIT_LIMIT = parse("30 per hour")
REPORT_LIMIT = parse("10 per hour")
PREVIEW_LIMIT = parse("30 per 10 minutes")


def edit_limit_exceeded(user) -> int:
    return spend(EDIT_LIMIT, "edit", str(user.id))


def report_limit_exceeded(user) -> int:
    return spend(REPORT_LIMIT, "report", str(user.id))


def preview_limit_exceeded(user) -> int:
    return spend(PREVIEW_LIMIT, "preview", str(user.id))


def answer_later(response_value, retry_after: int):
    """A 429 that keeps what the member typed and says when their allowance comes back (Retry-After)."""
    response = make_response(response_value)
    response.headers["Retry-After"] = str(retry_after)
    return response
