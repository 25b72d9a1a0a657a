"""Engine set-up per backend: SQLite tuned for a web server, PostgreSQL as it comes."""
import sqlalchemy as sa
from flask import current_app, has_app_context, has_request_context, request
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


def configure_engine(engine: sa.Engine) -> None:
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)


def _configure_sqlite(engine: sa.Engine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for requests that write.

    pysqlite opens transactions itself with a deferred BEGIN; a deferred transaction that reads and then writes
    cannot upgrade its lock when another writer got there first, and fails with "database is locked" at once,
    whatever the busy timeout. So we turn the driver's own BEGIN off and emit ours: IMMEDIATE (take the write lock
    up front, waiting up to the busy timeout) for POSTs and command-line work, DEFERRED for GETs so readers never
    queue behind each other. SQLITE_IMMEDIATE_OUTSIDE_REQUESTS=False makes work outside a request deferred too:
    the test suite's own session only reads between requests and must not hold the write lock while they run.
    """

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a power cut loses at most the last commits
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):
        if has_request_context():
            reading = request.method in {"GET", "HEAD", "OPTIONS"}
        else:
            reading = has_app_context() and not current_app.config.get("SQLITE_IMMEDIATE_OUTSIDE_REQUESTS", True)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def insert_ignoring_duplicates(model, **values):
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect: a row that is already there is left alone and
    no error is raised, so a repeated press or a race between two presses inserts one row."""
    from .extensions import db

    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).values(**values).on_conflict_do_nothing()


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
