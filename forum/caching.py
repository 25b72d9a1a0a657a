"""The page cache: pages answered from memory for anonymous readers and members alike, retired by exactly the
writes that change them.

**Scopes.** Every cached page and value is keyed by the version numbers of the scopes it shows: "site" (always),
"listings" (which stories exist and what their cards say), "search", "insights", and "story:<id>" (one story's page
and thread). The numbers live in the database (forum.models.CacheVersion), so a write in one gunicorn worker
retires the pages every other worker and host holds. A committed transaction raises the scopes it declared with
`retire(...)`, inside the transaction, so the numbers move with the data or not at all; a transaction that wrote
and declared nothing raises "site", which retires everything: a forgotten declaration costs speed, never truth.
The hot writes declare narrowly: a vote or a comment on story 17 raises "story:17" only.

**Bounded staleness.** Listings, search results, profiles and feeds show counts (votes, comments) that every vote
changes. They are keyed by "listings" or "search" (new, edited or removed stories raise those at once) and kept at
most STALE_SECONDS, so a count there is at most that old for other readers. Whoever wrote sees their own write at
once: a request that commits a write marks the writer's session, and for STALE_SECONDS that reader's pages are
built afresh (and stored, since a fresh page is right for everyone).

**Members.** A page marked `members=True` is cached per *viewer class* (anonymous, member, banned, moderator,
admin: what the permission predicates decide without knowing who you are), rendered with a stand-in viewer of that
class who owns nothing and voted for nothing. What is personal lives in *holes*: `{% call hole("name", args) %}`
in a template marks a part (the account menu, a story's vote and save buttons, a comment's actions), and each
request fills the holes of the stored page for its reader, re-rendering only what differs (HOLES below, filled by
forum/personal.py). The reader's CSRF token replaces a placeholder. A page is built as usual, never stored, when
the session carries a one-shot message (a flash, a draft to clear).

**Keys and memory.** A cached view names the query parameters it reads (`params`); the others are removed from
the request before the view runs, so `?junk=1` is the same page and the same entry. The in-process backend is an
LRU bounded in entries and bytes (CACHE_MAX_BYTES); an entry above CACHE_MAX_ENTRY_BYTES is not stored. With Redis
(REDIS_URL), entries expire and Redis's own memory policy bounds them.

`memoize(name, fn, *args, scopes=..., timeout=...)` keeps any other computed value under the same rules.
"""
import pickle
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import wraps
from urllib.parse import urlencode

import sqlalchemy as sa
from cachelib import BaseCache
from flask import Flask, Response, current_app, g, has_request_context, make_response, request, session
from flask_caching import Cache
from markupsafe import Markup
from werkzeug.datastructures import ImmutableMultiDict

from .extensions import db

cache = Cache()

SITE, LISTINGS, SEARCH, INSIGHTS = "site", "listings", "search", "insights"
STALE_SECONDS = 15  # the most a count in a listing, search result or feed lags behind for other readers
RETIRES = "cache_retires"  # session.info: the scopes this transaction declared it changes
WROTE = "cache_wrote"  # session.info: this transaction wrote something
FRESH_SESSION_KEY = "_wrote_at"  # the reader wrote at this time: build their stale-kept pages afresh for a while
SIGNED_IN_SESSION_KEY = "_user_id"  # Flask-Login's
ONE_SHOT_SESSION_KEYS = {"_flashes"}  # a page showing one of these is built for this request only
UNCACHED_HEADERS = {"set-cookie", "content-length", "vary"}
CSRF_PLACEHOLDER = "\x1fcsrf\x1f"
READER_PLACEHOLDER = "\x1freader\x1f"
HOLE_OPEN, HOLE_CLOSE = "<!--\x1fhole ", "<!--\x1f/hole-->"
_HOLE = re.compile(r"<!--\x1fhole ([a-z_]+) ([0-9 ]*)-->(.*?)<!--\x1f/hole-->", re.S)
HOLES: dict[str, Callable[..., str | None]] = {}  # name -> filler(*int args): the reader's HTML, or None to keep


def story(story_id: int) -> str:
    return f"story:{story_id}"


def init_app(app: Flask) -> None:
    cache.init_app(app)


# --- the in-process backend -----------------------------------------------------------------------------------

class BoundedMemoryCache(BaseCache):
    """An LRU of pickled values, bounded in entries and in bytes (SimpleCache bounds only entries, and one page
    can weigh a megabyte). One per process; thread-safe."""

    def __init__(self, max_entries: int = 2000, max_bytes: int = 64 * 2**20, max_entry_bytes: int = 2 * 2**20,
                 default_timeout: int = 300) -> None:
        super().__init__(default_timeout)
        self.max_entries, self.max_bytes, self.max_entry_bytes = max_entries, max_bytes, max_entry_bytes
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: str):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, data = entry
            if expires and expires < time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
        return pickle.loads(data)

    def set(self, key: str, value, timeout: int | None = None) -> bool:
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        if len(data) > self.max_entry_bytes:
            self.delete(key)
            return False
        timeout = self._normalize_timeout(timeout)
        expires = time.monotonic() + timeout if timeout else 0
        with self._lock:
            self._drop(key)
            self._entries[key] = (expires, data)
            self._bytes += len(data)
            while self._entries and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
                self._drop(next(iter(self._entries)))
        return True

    def add(self, key: str, value, timeout: int | None = None) -> bool:
        if self.has(key):
            return False
        return self.set(key, value, timeout)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._drop(key)

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def clear(self) -> bool:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
        return True

    def _drop(self, key: str) -> bool:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1])
        return entry is not None


def bounded_memory_cache(app: Flask, config: dict, args: list, kwargs: dict) -> BoundedMemoryCache:
    """Flask-Caching's factory hook (CACHE_TYPE = "forum.caching.bounded_memory_cache")."""
    return BoundedMemoryCache(max_entries=config.get("CACHE_THRESHOLD", 2000),
                              max_bytes=config.get("CACHE_MAX_BYTES", 64 * 2**20),
                              max_entry_bytes=config.get("CACHE_MAX_ENTRY_BYTES", 2 * 2**20),
                              default_timeout=config.get("CACHE_DEFAULT_TIMEOUT", 300))


# --- versions: what a write retires ---------------------------------------------------------------------------

def retire(*scopes: str) -> None:
    """Declare what this transaction changes (none: nothing any page shows). See the module docstring."""
    db.session.info.setdefault(RETIRES, set()).update(scopes)


def versions(scopes: Iterable[str]) -> tuple[int, ...]:
    """The numbers of these scopes ("site" first), in one query; a GET reads each scope once (a page and the values
    it memoises share the read, and a GET never writes, which a test guards)."""
    from .models import CacheVersion

    wanted = list(dict.fromkeys([SITE, *scopes]))
    reading = has_request_context() and request.method in {"GET", "HEAD"}
    known = g.setdefault("cache_versions", {}) if reading else {}
    missing = [s for s in wanted if s not in known]
    if missing:
        found = dict(db.session.connection().execute(  # Core: a read on every cached request, kept light
            sa.select(CacheVersion.scope, CacheVersion.value).where(CacheVersion.scope.in_(missing))).tuples().all())
        known.update({s: found.get(s, 0) for s in missing})
    return tuple(known[s] for s in wanted)


def _raise(session, scopes: set[str]) -> None:
    from .database import insert_or_add
    from .models import CacheVersion

    for scope in sorted(scopes):  # one order in every transaction: PostgreSQL's row locks cannot deadlock
        session.execute(insert_or_add(session, CacheVersion.__table__, key={"scope": scope}, column="value"))


def reset() -> None:
    """Forget every cached entry; the test suite empties the database this way."""
    cache.clear()


@sa.event.listens_for(db.session, "after_flush")
def _note_flushed_writes(session, flush_context) -> None:
    if session.new or session.dirty or session.deleted:
        session.info[WROTE] = True


@sa.event.listens_for(db.session, "do_orm_execute")
def _note_statement_writes(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


@sa.event.listens_for(db.session, "before_commit")
def _raise_on_commit(session) -> None:
    """Raise the declared scopes (or "site") inside the transaction that wrote, last: the rows are then locked
    until commit by a transaction that waits for nothing else."""
    session.flush()
    declared = session.info.pop(RETIRES, None)
    if session.info.pop(WROTE, False):
        scopes = {SITE} if declared is None else declared
        if scopes:
            _raise(session, scopes)
            if has_request_context():
                g.cache_wrote = True
        session.info.pop(WROTE, None)


@sa.event.listens_for(db.session, "after_rollback")
def _forget_rolled_back_writes(session) -> None:
    session.info.pop(WROTE, None)
    session.info.pop(RETIRES, None)


def mark_writer(response: Response) -> Response:
    """after_request: a reader whose request wrote sees fresh pages for STALE_SECONDS (see the module docstring)."""
    if g.get("cache_wrote") and SIGNED_IN_SESSION_KEY in session:
        session[FRESH_SESSION_KEY] = int(time.time())
    return response


def _wrote_lately() -> bool:
    wrote_at = session.get(FRESH_SESSION_KEY)
    return isinstance(wrote_at, int) and time.time() - wrote_at < STALE_SECONDS


# --- pages ----------------------------------------------------------------------------------------------------

def hole(name: str, *args: int, caller: Callable[[], str]) -> Markup:
    """`{% call hole("name", id) %}default{% endcall %}`: the default as the stand-in viewer sees it, marked so each
    reader's request can put theirs in its place."""
    body = caller()
    if not g.get("cache_recording_holes"):
        return Markup(body)
    return Markup(f"{HOLE_OPEN}{name} {' '.join(str(int(a)) for a in args)}-->{body}{HOLE_CLOSE}")


def reader_id() -> str:
    """`{{ reader_id() }}`: the signed-in reader's id in a members' page (a placeholder in the stored copy)."""
    from flask_login import current_user

    if g.get("cache_recording_holes"):
        return READER_PLACEHOLDER
    return str(current_user.id) if current_user.is_authenticated else "anon"


def _split(body: str) -> list:
    """The stored form of a page: literal text and (name, args, default) holes, alternating."""
    parts, at = [], 0
    for match in _HOLE.finditer(body):
        parts.append(body[at:match.start()])
        parts.append((match.group(1), tuple(int(a) for a in match.group(2).split()), match.group(3)))
        at = match.end()
    parts.append(body[at:])
    return parts


def _fill(parts: list, csrf: bool) -> str:
    from flask_login import current_user

    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            name, args, default = part
            filled = HOLES[name](*args)
            out.append(default if filled is None else str(filled))
    body = "".join(out)
    if csrf:
        from flask_wtf.csrf import generate_csrf

        body = body.replace(CSRF_PLACEHOLDER, generate_csrf())
    return body.replace(READER_PLACEHOLDER, str(current_user.id))


def viewer_class(user) -> str:
    from . import permissions

    if not permissions.is_signed_in(user):
        return "anonymous"
    if not permissions.can_post(user):
        return "banned"
    if permissions.can_change_roles(user):
        return "admin"
    return "moderator" if permissions.can_moderate(user) else "member"


class StandIn:
    """The viewer a members' page is built for: signed in, of one class, owning and having voted for nothing."""

    is_authenticated, is_active, is_anonymous = True, True, False
    id = 0  # no account has id 0
    username = ""
    unread_notifications = 0

    def __init__(self, kind: str) -> None:
        self.is_banned = kind == "banned"
        self.is_moderator = kind in {"moderator", "admin"}
        self.is_admin = kind == "admin"
        self.role = {"admin": "admin", "moderator": "moderator"}.get(kind, "member")

    def get_id(self) -> str:
        return "0"


def _only_params(params: tuple[str, ...]) -> str:
    """Drop every query parameter the view does not read, and return the rest, normalised, for the key."""
    kept = [(name, value) for name in sorted(params) for value in request.args.getlist(name)]
    if len(kept) != len(list(request.args.items(multi=True))):
        request.args = ImmutableMultiDict(kept)  # the view sees only what the key holds
    return urlencode(kept)


def cached_page(*, scopes: Callable[..., Iterable[str]] | Iterable[str] = (LISTINGS,),
                params: Iterable[str] = (), members: bool = False, stale: bool | None = None,
                unless_session: Iterable[str] = ()) -> Callable:
    """Serve this GET view from the cache; see the module docstring.

    scopes: the scopes the page shows (a function of the view's arguments, or a list); "site" is always added.
    params: the query parameters the view reads. members: cache signed-in readers' pages too (the template keeps
    what is personal in holes). stale: keep the page STALE_SECONDS at most (default: unless it names a story
    scope, which every write to that story raises exactly). unless_session: more one-shot session keys.
    """
    params = tuple(params)
    one_shot = ONE_SHOT_SESSION_KEYS | set(unless_session)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if (not current_app.config["FORUM_PAGE_CACHE"] or request.method not in {"GET", "HEAD"}
                    or any(key in session for key in one_shot)):
                return view(*args, **kwargs)
            kind = _viewer_kind()
            if kind != "anonymous" and not members:
                return view(*args, **kwargs)
            shown = list(scopes(*args, **kwargs) if callable(scopes) else scopes)
            keeps_stale = stale if stale is not None else not any(s.startswith("story:") for s in shown)
            query = _only_params(params)
            numbers = ".".join(map(str, versions(shown)))
            key = f"page:{kind}:{request.path}?{query}:{'.'.join(shown)}={numbers}"
            timeout = STALE_SECONDS if keeps_stale else None
            stored = None if keeps_stale and _wrote_lately() else cache.get(key)
            if stored is None:
                built, storable, response = _build(view, args, kwargs, kind)
                if storable:
                    cache.set(key, built, timeout=timeout)
                if built is not None and kind != "anonymous":  # built for the stand-in, kept or not: fill it
                    response.set_data(_fill(built[0], built[3]))
                return response
            parts, status, headers, csrf = stored
            body = parts[0] if kind == "anonymous" else _fill(parts, csrf)
            return Response(body, status=status, headers=headers)

        return wrapper

    return decorate


def _viewer_kind() -> str:
    if SIGNED_IN_SESSION_KEY not in session and not request.cookies.get(
            current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        return "anonymous"
    from flask_login import current_user

    return viewer_class(current_user)


def _build(view: Callable, args: tuple, kwargs: dict, kind: str) -> tuple[tuple | None, bool, Response]:
    """Run the view (as the class's stand-in for members): (the page as stored, whether to store it, the response).

    An anonymous page that may not be stored comes back as None. A members' page always comes back split, stored
    or not, since its holes and placeholders must be filled for the reader either way."""
    if kind == "anonymous":
        response = make_response(view(*args, **kwargs))
        if not _can_store(response) or "csrf_token" in g:
            return None, False, response
        return ([response.get_data(as_text=True)], response.status_code, _kept_headers(response), False), True, \
            response
    reader = g.get("_login_user")
    g._login_user, g.cache_recording_holes = StandIn(kind), True
    try:
        response = make_response(view(*args, **kwargs))
    finally:
        g._login_user, g.cache_recording_holes = reader, False
    if response.is_streamed:
        return None, False, response
    body = response.get_data(as_text=True)
    token = g.get("csrf_token")
    if token:
        body = body.replace(token, CSRF_PLACEHOLDER)
    return (_split(body), response.status_code, _kept_headers(response), bool(token)), _can_store(response), \
        response


def _can_store(response: Response) -> bool:
    """A complete 200 for everyone, built from current values (not one a refresh job is still computing)."""
    return (response.status_code == 200 and not response.is_streamed and "Set-Cookie" not in response.headers
            and not g.get("cache_page_stale"))


def _kept_headers(response: Response) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.headers if name.lower() not in UNCACHED_HEADERS]


def memoize(name: str, compute: Callable, *args, scopes: Iterable[str] = (), timeout: int | None = None,
            refresh_later: Callable | None = None):
    """compute(*args), kept until a write raises one of its scopes ("site" always counts) or the timeout.
    Arguments must have a stable repr; the value must pickle (ids and numbers, not ORM objects).

    refresh_later: a job (forum.jobs) taking the same arguments that calls `remember`. With it, a miss that finds
    the value computed before the write returns that one at once, asks the job to compute the new one (once per
    STALE_SECONDS), and keeps the page showing it out of the page cache: no reader waits for a slow aggregate after
    a write, and what they see lags by the job's run.
    """
    if not current_app.config["FORUM_PAGE_CACHE"]:
        return compute(*args)
    scopes = tuple(scopes)
    key = _memo_key(name, args, scopes)
    value = cache.get(key)
    if value is not None:
        return value
    if refresh_later is not None and not _computing_fresh.get():
        previous = cache.get(_latest_key(name, args))
        if previous is not None:
            from .jobs import enqueue_from_read

            if cache.add(f"memo-refreshing:{name}:{args!r}", 1, timeout=STALE_SECONDS):
                enqueue_from_read(refresh_later, *args)
            if has_request_context():
                g.cache_page_stale = True
            _served_stale.set(True)
            return previous
    value, stale = _watching_staleness(compute, args)
    if stale:  # built on a value from before the write: answer with it, keep nothing (the next reader retries)
        _served_stale.set(True)
        return value
    return _keep(key, name, args, value, timeout, latest=refresh_later is not None)


# A memoised value built from another memoised value that was served stale (a refresh_later job still computing it)
# is stale too: it is returned but not kept, or it would outlive the write it missed until the next one.
_served_stale: ContextVar[bool] = ContextVar("served_stale", default=False)
# Inside `remember` (a refresh job) every memoised value it uses is computed afresh, never served stale.
_computing_fresh: ContextVar[bool] = ContextVar("computing_fresh", default=False)


def _watching_staleness(compute: Callable, args: tuple):
    token = _served_stale.set(False)
    try:
        value = compute(*args)
        return value, _served_stale.get()
    finally:
        _served_stale.reset(token)


def remember(name: str, compute: Callable, *args, scopes: Iterable[str] = (), timeout: int | None = None):
    """Compute and keep a memoised value now (what a refresh_later job calls), from fresh values throughout."""
    token = _computing_fresh.set(True)
    try:
        value = compute(*args)
    finally:
        _computing_fresh.reset(token)
    return _keep(_memo_key(name, args, tuple(scopes)), name, args, value, timeout, latest=True)


def _keep(key: str, name: str, args: tuple, value, timeout: int | None, *, latest: bool):
    cache.set(key, value, timeout=timeout)
    if latest:  # what a reader gets while a refresh_later job computes the next one
        cache.set(_latest_key(name, args), value, timeout=timeout)
    return value


def _memo_key(name: str, args: tuple, scopes: tuple[str, ...]) -> str:
    return f"memo:{name}:{args!r}:{'.'.join(scopes)}={'.'.join(map(str, versions(scopes)))}"


def _latest_key(name: str, args: tuple) -> str:
    return f"memo-latest:{name}:{args!r}"
