"""Logs a person can follow one request through: one line per record, a request id on every line.

Each request takes the id its proxy sent in X-Request-ID (when it is a short plain token) or makes one, hands it
back on the response, and every record logged while it runs carries it. One access line closes each request.
Security events (ASVS 16.3.1) go through `security_event`, which adds the client address and never takes a
password, a reset token or a cookie: a failed sign-in names the account only by a keyed hash of what was typed.
"""
import hashlib
import hmac
import json
import logging
import re
import secrets
import sys
import time

from flask import Flask, current_app, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and . _ - only, at most 64: a hostile id can neither forge a log line nor bloat every one.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"
HINT_CHARS = 12  # enough to tell accounts apart in a day's log, too few to be worth a dictionary attack
# alembic: INFO lines on every `flask` command that say nothing. flask-limiter: its INFO line on a breach names the
# limit key, which for the per-account sign-in limit is whatever was typed as the login; our own event replaces it.
QUIET_LOGGERS = ("alembic.runtime.plugins", "flask-limiter")

# The development server (`flask run`, `make run`) logs here: its address on start, reloads, and a line per request.
DEV_SERVER_LOGGER = "werkzeug"
DEV_SERVER_REQUEST_LINE = '"%s" %s %s'  # how werkzeug's line per request ends: request line, status, size

access_log = logging.getLogger("forum.access")
security_log = logging.getLogger("forum.auth")


class OneLineFormatter(logging.Formatter):
    """UTC timestamps, and every record on one line: a newline in a message (a URL path can hold one) or in a
    traceback is written as \\n, so no one can forge a log line and a traceback stays with its request id."""

    converter = time.gmtime

    def __init__(self):
        super().__init__(LOG_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S")

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        return f"{super().formatTime(record, datefmt)}.{int(record.msecs):03d}Z"

    def format(self, record):
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


def configure(app: Flask) -> None:
    """Give every record a request id; log to stderr one line each unless logging is already set up; one line per
    request, the access line, even under the development server."""
    _install_request_id_on_records()
    root = logging.getLogger()
    if not root.handlers:  # gunicorn and `flask` leave the root logger bare; a test runner or a host may not
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLineFormatter())
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        if app.config["FORUM_ENV"] == "development":
            _dev_server_prints_plainly()
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger(DEV_SERVER_LOGGER).addFilter(not_a_dev_server_request_line)
    app.config.setdefault("RATELIMIT_ON_BREACH_CALLBACK", rate_limit_hit)  # read by the limiter's init_app
    app.before_request(start_request)
    app.after_request(finish_request)  # registered first, so it runs last and sees the final status


def _dev_server_prints_plainly() -> None:
    """In development the server's own lines (its address, reloads, errors) print as it writes them, not folded
    onto one timestamped line, so " * Running on http://127.0.0.1:5000" stands on a line of its own that a
    terminal makes clickable. Its line per request is gone already (not_a_dev_server_request_line)."""
    server = logging.getLogger(DEV_SERVER_LOGGER)
    if not server.handlers:
        server.addHandler(logging.StreamHandler(sys.stderr))
        server.propagate = False


def not_a_dev_server_request_line(record: logging.LogRecord) -> bool:
    """A filter for the development server's logger: forum.access already logs each request once, with its id
    and time, so the server's own line for it would only say it again."""
    return not (isinstance(record.msg, str) and record.msg.endswith(DEV_SERVER_REQUEST_LINE))


def _install_request_id_on_records() -> None:
    """A record factory rather than a filter: filters on a logger miss records from its children, and filters on
    a handler miss handlers we did not create (the test runner's, a host's)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "adds_request_id", False):
        return

    def record_with_request_id(*args, **kwargs):
        record = factory(*args, **kwargs)
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return record

    record_with_request_id.adds_request_id = True
    logging.setLogRecordFactory(record_with_request_id)


def start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if VALID_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(16)
    g.request_started = time.perf_counter()


def finish_request(response):
    """The access line: method, path, status, time, and the signed-in user's id when this request loaded one (it is
    never loaded here: /healthz touches no database). Never the query string (it may hold a search or a token),
    nor a secret in the path itself (see secret_in_path)."""
    request_id = g.get("request_id") or secrets.token_hex(16)
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    user = g.get("_login_user")  # Flask-Login's cache of current_user
    user_id = user.id if user is not None and getattr(user, "is_authenticated", False) else None
    access_log.info(fields(method=request.method, path=_loggable_path(), status=response.status_code,
                           duration_ms=f"{duration:.1f}", user_id=user_id, ip=request.remote_addr))
    return response


def secret_in_path(view):
    """Mark a view whose URL holds a secret (a password-reset token): the access line shows its route instead."""
    view.secret_in_path = True
    return view


def _loggable_path() -> str:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "secret_in_path", False) and request.url_rule is not None:
        return request.url_rule.rule  # /auth/reset/<token>
    return request.path


def fields(**values) -> str:
    """key=value pairs, values quoted when they hold a space, a quote or an =; None is left out."""
    parts = []
    for key, value in values.items():
        if value is None:
            continue
        text = str(value)
        if not text or re.search(r'[\s"=]', text):
            text = json.dumps(text)
        parts.append(f"{key}={text}")
    return " ".join(parts)


def security_event(event: str, *, user_id: int | None = None, level: int = logging.INFO, **values) -> None:
    """One line for a security-relevant event, with the client address when there is a request."""
    ip = request.remote_addr if has_request_context() else "console"
    security_log.log(level, fields(event=event, user_id=user_id, ip=ip, **values))


def login_hint(login: str) -> str:
    """A keyed hash of what was typed as a username or email: the same account gives the same hint, so repeated
    failures against one account show up, yet the log never holds the text (a password pasted in the wrong box)."""
    key = current_app.config["SECRET_KEY"].encode()
    normalised = (login or "").strip().casefold().encode()
    return hmac.new(key, normalised, hashlib.sha256).hexdigest()[:HINT_CHARS]


def rate_limit_hit(limit) -> None:
    """Flask-Limiter calls this when a request breaks a limit; the 429 page is still its own."""
    per_account = "login-account:" in limit.key
    hint = login_hint(request.form.get("login", "")) if per_account else None
    security_event("account_locked" if per_account else "rate_limited", level=logging.WARNING,
                   path=request.path, limit=str(limit.limit), login_hint=hint)
