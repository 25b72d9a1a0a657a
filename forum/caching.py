"""The page cache for anonymous readers, and the one rule that keeps it honest: a committed write retires it.

Most visitors read without signing in, and what they see depends only on the URL and the data. A view marked
`@cached_for_anonymous` answers such a visitor from the cache when it can. Entries are keyed by the *cache
generation*, a number in the database (forum.models.CacheGeneration) that every transaction which writes raises
as its last statement, so a page cached before a write is never served after it, whichever process or host
cached it. Entries also expire after CACHE_DEFAULT_TIMEOUT seconds, which bounds what no write announces.

What is never cached: signed-in visitors (or anyone with a remember-me cookie), requests or pages carrying a
flashed message, responses that set a cookie or render a CSRF token (a token belongs to one session), anything
but a 200, streamed bodies.

`memoize(name, fn, *args)` keeps any other computed value (the insights aggregates) under the same generation.
The backend is Flask-Caching: in-process SimpleCache by default, Redis when REDIS_URL is set.
"""
from collections.abc import Callable
from functools import wraps

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, make_response, request, session
from flask_caching import Cache
from sqlalchemy.orm import Session

from .extensions import db

cache = Cache()
WRITES = "cache_generation_writes"  # session.info flag: this transaction wrote something
SIGNED_IN_SESSION_KEY = "_user_id"  # Flask-Login's
FLASHES_SESSION_KEY = "_flashes"  # Flask's
UNCACHED_HEADERS = {"set-cookie", "content-length", "vary"}


def init_app(app: Flask) -> None:
    cache.init_app(app)


def current_generation() -> int:
    """The generation, read once per GET (a page and the values it memoises share the read; a GET never writes,
    which a test guards) and afresh everywhere else."""
    from .models import CacheGeneration

    reading = has_request_context() and request.method in {"GET", "HEAD"}
    if reading and "cache_generation" in g:
        return g.cache_generation
    value = db.session.scalar(sa.select(CacheGeneration.value).where(CacheGeneration.id == 1)) or 0
    if reading:
        g.cache_generation = value
    return value


def bump_generation(session: Session) -> None:
    from .models import CacheGeneration

    table = CacheGeneration.__table__
    session.execute(sa.update(table).where(table.c.id == 1).values(value=table.c.value + 1))  # row from 0006


def reset() -> None:
    """Forget every cached entry and restore the generation row; the test suite empties the database this way."""
    from .models import CacheGeneration

    cache.clear()
    if db.session.get(CacheGeneration, 1) is None:
        db.session.add(CacheGeneration(id=1, value=0))
        db.session.commit()


@sa.event.listens_for(Session, "after_flush")
def _note_flushed_writes(session: Session, flush_context) -> None:
    if session.new or session.dirty or session.deleted:
        session.info[WRITES] = True


@sa.event.listens_for(Session, "do_orm_execute")
def _note_statement_writes(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WRITES] = True


@sa.event.listens_for(Session, "before_commit")
def _bump_on_commit(session: Session) -> None:
    """Raise the generation inside the transaction that wrote: it commits with the data or not at all.

    Taken last, the row lock cannot deadlock: a transaction holding it waits for no other lock.
    """
    session.flush()
    if session.info.pop(WRITES, False):
        bump_generation(session)
        session.info.pop(WRITES, None)


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back_writes(session: Session) -> None:
    session.info.pop(WRITES, None)


def _is_anonymous_request() -> bool:
    if request.method not in {"GET", "HEAD"}:
        return False
    if request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        return False
    return SIGNED_IN_SESSION_KEY not in session and FLASHES_SESSION_KEY not in session


def _can_store(response: Response) -> bool:
    return (response.status_code == 200 and not response.is_streamed and "Set-Cookie" not in response.headers
            and not session.modified and "csrf_token" not in g)


def _key() -> str:
    return f"page:{current_generation()}:{request.url}"


def cached_for_anonymous(view: Callable) -> Callable:
    """Serve this view's page to anonymous readers from the cache; see the module docstring for the rules."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_app.config["FORUM_PAGE_CACHE"] or not _is_anonymous_request():
            return view(*args, **kwargs)
        key = _key()
        stored = cache.get(key)
        if stored is not None:
            body, status, headers = stored
            return Response(body, status=status, headers=headers)
        response = make_response(view(*args, **kwargs))
        if _can_store(response):
            headers = [(name, value) for name, value in response.headers if name.lower() not in UNCACHED_HEADERS]
            cache.set(key, (response.get_data(), response.status_code, headers))
        return response

    return wrapper


def memoize(name: str, compute: Callable, *args):
    """compute(*args), kept until the next write (or the timeout). Arguments must have a stable repr."""
    if not current_app.config["FORUM_PAGE_CACHE"]:
        return compute(*args)
    key = f"memo:{current_generation()}:{name}:{args!r}"
    value = cache.get(key)
    if value is None:
        value = compute(*args)
        cache.set(key, value)
    return value
