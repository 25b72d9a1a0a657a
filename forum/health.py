"""Probes for load balancers and orchestrators: is this process up (/healthz), and can it serve (/readyz)?"""
import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify

from .database import migration_head
from .extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
READY_STATEMENT_TIMEOUT_MS = 2000  # a probe that waits longer than this is answered "not ready" by its caller anyway
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
def healthz():
    """The process answers. Touches nothing else: a database outage must not get healthy workers restarted."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", **NO_STORE}


@bp.get("/readyz")
def readyz():
    """The database answers within a short time, and is at the migration this code expects.

    The answer names what is wrong in a word or two and never the database's address, user or error text."""
    try:
        with db.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {READY_STATEMENT_TIMEOUT_MS}")
            conn.execute(sa.text("SELECT 1"))
            revision = _revision(conn)
    except sa.exc.SQLAlchemyError as error:
        log.warning("readiness: database unreachable (%s)", type(error).__name__)
        return _answer({"database": "unreachable"}, 503)
    if revision is None:
        return _answer({"database": "ok", "migrations": "missing"}, 503)
    if revision != migration_head():
        log.warning("readiness: database at migration %s, code expects %s", revision, migration_head())
        return _answer({"database": "ok", "migrations": "not at head"}, 503)
    return _answer({"database": "ok", "migrations": "current"}, 200)


def _revision(conn: sa.Connection) -> str | None:
    """The database's migration, or None when it has never been migrated."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _answer(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers.update(NO_STORE)
    return response
