"""Test set-up: every test runs on a clean database, on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set.

The schema is built by the migrations (never by create_all), once per backend per session; between tests the
rows are deleted, which is much faster than rebuilding and exercises the same schema production runs.
"""
import contextvars
import os

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from forum import caching, create_app
from forum.extensions import db, limiter

REQUIRE_SERVICES = os.environ.get("FORUM_REQUIRE_SERVICES") == "1"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
if os.environ.get("FORUM_REQUIRE_SERVICES") == "1" and "postgresql" not in BACKENDS:
    raise RuntimeError("FORUM_REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not set: the PostgreSQL run would be skipped")
_apps: dict = {}


def test_config(database_url: str, tmp_path_factory) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,  # 1 MiB: the hashing logic is what is under test, not its cost
        "MAIL_OUTBOX": str(tmp_path_factory.mktemp("outbox")),
        "RATELIMIT_STORAGE_URI": "memory://",
        "FORUM_BASE_URL": "http://localhost",  # the test client's own host; a test that forges Host tells them apart
    }


def reset_schema(database_url: str) -> None:
    """Give PostgreSQL an empty public schema, so migrations run from nothing as on a new install."""
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def database_url_for(backend: str, tmp_path_factory) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    url = os.environ["TEST_DATABASE_URL"]
    reset_schema(url)
    return url


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in a real server.

    Tests hold an app context open for builders; Flask would reuse it for every request, sharing `g` (where
    Flask-Login caches the user) and the database session between requests and "devices". An empty
    contextvars.Context makes Flask push a new app context per request instead.

    The test's own session also ends its transaction first: under SQLite WAL an open read transaction is a
    snapshot, and a test that read before a request would not see what the request wrote.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        kwargs.setdefault("buffered", True)  # a streamed body must be read before its context ends
        return contextvars.Context().run(super().open, *args, **kwargs)


def app_for(backend: str, tmp_path_factory):
    if backend not in _apps:
        app = create_app(test_config(database_url_for(backend, tmp_path_factory), tmp_path_factory))
        app.test_client_class = IsolatedClient
        with app.app_context():
            upgrade()
        _apps[backend] = app
    return _apps[backend]


def delete_all_rows() -> None:
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path_factory):
    app = app_for(request.param, tmp_path_factory)
    with app.app_context():
        delete_all_rows()
        limiter.reset()
        caching.reset()
        yield app
        db.session.remove()


@pytest.fixture
def sqlite_app(tmp_path_factory):
    """For tests about SQLite itself."""
    app = app_for("sqlite", tmp_path_factory)
    with app.app_context():
        delete_all_rows()
        limiter.reset()
        caching.reset()
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def outbox(app):
    from pathlib import Path

    path = Path(app.config["MAIL_OUTBOX"])
    for old in path.glob("*.eml"):
        old.unlink()
    return path


@pytest.fixture
def redis_url() -> str:
    """TEST_REDIS_URL (default: database 15 of the local server) if Redis answers; else the test is skipped, or
    fails under FORUM_REQUIRE_SERVICES=1 (CI), where a skip would hide that the shared-counter tests never ran.
    Tests keep to keys of their own prefix and delete them."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as error:
        if REQUIRE_SERVICES:
            raise RuntimeError(f"FORUM_REQUIRE_SERVICES=1 but Redis at {url} is unreachable: {error}") from error
        pytest.skip(f"no Redis at {url}")
    finally:
        client.close()
    return url
