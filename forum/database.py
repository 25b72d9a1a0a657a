"""Engine set-up per backend: SQLite tuned for a web server, PostgreSQL as it comes."""
import sqlite3

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

# How long to wait for PostgreSQL to accept a connection: a request during an outage fails fast with a 503
# instead of holding a worker for the operating system's TCP timeout (minutes, when the host does not answer).
POSTGRESQL_CONNECT_TIMEOUT_SECONDS = 5
# How long a SQLite writer waits for the lock before "database is locked"; generous, since writes are short.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def engine_options(config) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS with the per-backend defaults added; an explicit setting wins."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if sa.make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", POSTGRESQL_CONNECT_TIMEOUT_SECONDS)
        options["connect_args"] = connect_args
    return options


def configure_engine(engine: sa.Engine, *, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms)


def _configure_sqlite(engine: sa.Engine, busy_timeout_ms: int) -> None:
    """WAL, foreign keys, a busy timeout, and a write lock taken only for the writes.

    SQLite has one writer at a time. A transaction starts deferred (`BEGIN`): it reads without any lock, so a
    failed sign-in, a preview or a form error never waits for, or makes anyone wait for, the write lock. Its first
    write ends that read transaction and opens the write phase with `BEGIN IMMEDIATE`, which queues for the lock
    (up to the busy timeout) instead of upgrading in place: a deferred transaction that tries to upgrade while
    another connection writes, or after one wrote, fails at once with "database is locked", whatever the timeout.
    The write phase sees every commit before it, and holds the lock until the request commits or rolls back.

    So a request reads first, then writes, then commits, and renders afterwards (views redirect after a write).
    What was read before the write phase is as fresh as a PostgreSQL READ COMMITTED read: counters are updated in
    SQL (`count + 1`), never from a value read in Python, and uniqueness is a constraint, on both backends.
    `holds_write_lock()` lets tests check that no Markdown or template is rendered inside a write phase.
    """

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a power cut loses at most the last commits
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.info[_WRITING] = False
        connection.exec_driver_sql("BEGIN")

    @sa.event.listens_for(engine, "before_cursor_execute")
    def on_statement(connection, cursor, statement, parameters, context, executemany):
        if connection.info.get(_WRITING) is False and _writes(statement, context):
            # Nothing written yet, so ending the read transaction loses nothing; the write phase starts fresh.
            cursor.execute("COMMIT")
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:  # the lock stayed taken past the busy timeout: a 503
                connection.info.pop(_WRITING, None)
                raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, error) from error
            connection.info[_WRITING] = True

    @sa.event.listens_for(engine, "commit")
    @sa.event.listens_for(engine, "rollback")
    def on_end(connection):
        connection.info.pop(_WRITING, None)


_WRITING = "sqlite_write_phase"  # Connection.info: False while a transaction only reads, True once it writes
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "SAVEPOINT")


def _writes(statement: str, context) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    return statement.lstrip().upper().startswith(_WRITE_VERBS)


def holds_write_lock() -> bool:
    """Whether this app's session is in the write phase of a SQLite transaction, i.e. holds the write lock."""
    from .extensions import db

    session = db.session()
    if not session.in_transaction():
        return False
    connection = session.connection() if session.get_bind().dialect.name == "sqlite" else None
    return bool(connection is not None and connection.info.get(_WRITING))


def insert_ignoring_duplicates(model, **values):
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect: a row that is already there is left alone and
    no error is raised, so a repeated press or a race between two presses inserts one row."""
    from .extensions import db

    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).values(**values).on_conflict_do_nothing()


def insert_or_add(session, table: sa.Table, *, key: dict, column: str, step: int = 1):
    """INSERT the row with `column` = step, or add step to `column` where a row of that key exists, in one
    statement (ON CONFLICT DO UPDATE) in the session's dialect: concurrent writers each count once."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**key, **{column: step})
    return statement.on_conflict_do_update(index_elements=[table.c[name] for name in key],
                                           set_={column: table.c[column] + step})


def include_in_autogenerate(name: str | None) -> bool:
    """Leave the search machinery out of Alembic's comparisons: the FTS5 tables on SQLite and the tsvector
    columns and GIN indexes on PostgreSQL exist on one backend only and are made by hand in the search migration."""
    return not (name or "").startswith("search_")


def migration_head() -> str:
    """The newest revision in migrations/: what a database must be at for this code to run on it."""
    from alembic.script import ScriptDirectory

    directory = current_app.extensions["migrate"].directory
    if directory not in _HEADS:
        _HEADS[directory] = ScriptDirectory(directory).get_current_head()
    return _HEADS[directory]


_HEADS: dict[str, str] = {}  # read once per process: the migrations on disk do not change under a running app
