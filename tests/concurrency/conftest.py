"""A real multi-process server (gunicorn, 4 workers) on its own database, and stdlib HTTP visitors to load it.

The in-process test client runs one request at a time, so it cannot show a race between two workers. Here every
test gets a fresh database built by the migrations (a SQLite file; with TEST_DATABASE_URL also a PostgreSQL
database of its own, never the main suite's, which that suite truncates) and a gunicorn started on it, exactly as
production runs the app. The test process writes the rows with the builders and reads the outcome with a fresh
engine after the server has answered everything.
"""
import contextlib
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from forum import create_app
from forum.extensions import db
from tests.builders import DEFAULT_PASSWORD, csrf_token_from

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
WORKERS = 4
SECRET_KEY = "concurrency-test-secret-key-not-for-production"
STARTUP_SECONDS = 20  # a cold gunicorn with 4 workers answers in 1-3 s; 20 s means it is not coming
STOP_SECONDS = 10  # a graceful stop lets requests in flight finish; none should be in flight by then
REQUEST_TIMEOUT_SECONDS = 30  # gunicorn's own worker timeout: no healthy answer takes longer
LOG_TAIL_CHARS = 4000

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def fresh_postgresql_database() -> str:
    """A new, empty `<name>_concurrency_<pid>` database next to TEST_DATABASE_URL's; returns its URL.

    The process id keeps two runs at once (a full suite and a single file) from dropping each other's database.
    """
    base = sa.make_url(os.environ["TEST_DATABASE_URL"])
    url = base.set(database=f"{base.database}_concurrency_{os.getpid()}")
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses a transaction
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    finally:
        engine.dispose()
    return url.render_as_string(hide_password=False)


def drop_postgresql_database(url: str) -> None:
    target = sa.make_url(url)
    engine = sa.create_engine(sa.make_url(os.environ["TEST_DATABASE_URL"]), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


@dataclass
class ForumDatabase:
    """The database under test: its URL for the server, and an app in this process for builders and reads."""

    backend: str
    url: str
    app: object

    def read(self, statement):
        """Run one read on a fresh engine, so nothing cached in this process can hide what the server wrote."""
        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(statement).scalar_one()
        finally:
            engine.dispose()


@pytest.fixture(params=BACKENDS)
def forum_db(request, tmp_path, monkeypatch):
    # create_app reads the environment first; a SECRET_KEY there keeps it from writing instance/secret_key.
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'concurrency.db'}"
    else:
        url = fresh_postgresql_database()
    # Default argon2 cost: the server checks these hashes at sign-in and then has no reason to rehash them.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_OUTBOX": str(tmp_path / "outbox")})
    with app.app_context():
        upgrade()
    try:
        yield ForumDatabase(backend=request.param, url=url, app=app)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if request.param == "postgresql":
            drop_postgresql_database(url)


class PassThrough(urllib.request.HTTPErrorProcessor):
    """Hand every response back as it is: no redirect followed, no HTTPError raised for a 4xx or 5xx."""

    def http_response(self, request, response):
        return response

    https_response = http_response


@dataclass
class Answer:
    status: int
    body: str

    def json(self):
        return json.loads(self.body)


class Visitor:
    """One browser: its own cookie jar, so its own session. Safe to use from many threads at once."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), PassThrough)
        self.csrf_token = ""

    def request(self, path: str, data: dict | None = None, headers: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body, headers=headers or {})
        with self.opener.open(req, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            return Answer(status=response.status, body=response.read().decode("utf-8", "replace"))

    def sign_in(self, username: str, password: str = DEFAULT_PASSWORD) -> "Visitor":
        """Sign in through the form, then keep the token the signed-in pages carry."""
        page = self.request("/auth/login")
        assert page.status == 200, f"GET /auth/login answered {page.status}"
        answer = self.request("/auth/login", {"csrf_token": csrf_token_from(page.body), "login": username,
                                              "password": password})
        assert answer.status == 302, f"sign-in of {username} answered {answer.status}: {answer.body[:300]}"
        home = self.request("/")
        assert home.status == 200, f"GET / after sign-in answered {home.status}"
        self.csrf_token = csrf_token_from(home.body)
        return self

    def vote(self, path: str, value: str) -> Answer:
        """POST a vote as the page's script does: the form fields, the token in a header, JSON asked for."""
        return self.request(path, {"csrf_token": self.csrf_token, "value": value},
                            headers={"Accept": "application/json", "X-CSRFToken": self.csrf_token})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, process: subprocess.Popen, url: str, log_path: Path):
        self.process = process
        self.url = url
        self.log_path = log_path

    def visitor(self) -> Visitor:
        return Visitor(self.url)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self) -> str:
        return f"\n--- gunicorn stderr (tail) ---\n{self.log()[-LOG_TAIL_CHARS:]}"

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode} at start-up{self.log_tail()}")
            try:
                if self.visitor().request("/").status == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.1)
        pytest.fail(f"gunicorn did not answer GET / within {STARTUP_SECONDS} s{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM (gunicorn's graceful shutdown), then SIGKILL to the whole process group: killing the master
        alone would leave its workers running."""
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group is gunicorn's own: start_new_session below
        except ProcessLookupError:
            pass  # master and workers all gone
        self.process.wait()


@contextlib.contextmanager
def running_server(database_url: str, log_path: Path, *, workers: int = WORKERS, **env_extra: str):
    """gunicorn on 127.0.0.1 serving wsgi:app on database_url, as production runs it; stopped on exit."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "FORUM_ENV": "production",
           "FORUM_BASE_URL": f"http://127.0.0.1:{port}", **env_extra}
    with open(log_path, "wb") as log_file:
        # No control socket: its default path is shared by every gunicorn of the user, and two runs would clash.
        process = subprocess.Popen([GUNICORN, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--no-control-socket",
                                    "wsgi:app"], cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    running = Server(process, f"http://127.0.0.1:{port}", log_path)
    try:
        running.wait_until_up()
        yield running
    finally:
        running.stop()


@pytest.fixture
def server(forum_db, tmp_path):
    """gunicorn with 4 workers on 127.0.0.1, serving wsgi:app on forum_db, rate limits off."""
    with running_server(forum_db.url, tmp_path / "gunicorn.log", FORUM_DISABLE_RATELIMITS="1") as running:
        yield running
