"""The bench database's life: reuse one generated at the same scale, or build a fresh one through the migrations.

A generated database carries a `bench_meta` row (written last, so an interrupted run never looks complete) with the
scale, the seed, the generator version and the migration it was built at. It is reused only when all four match,
so a new migration (comments, votes, search ...) makes the next `make bench` regenerate.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_SQLITE_PATH = BENCH_DIR / "bench.db"
BENCH_SECRET = "bench-secret-signs-nothing-that-leaves-this-machine"
META_TABLE = "bench_meta"


def sqlite_url(path: Path = DEFAULT_SQLITE_PATH) -> str:
    return f"sqlite:///{path}"


def shown(url: str) -> str:
    """The URL as printed: never the password."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def forum_env(url: str, **extra: str) -> dict[str, str]:
    """The environment for anything that runs the forum against the bench database."""
    env = dict(os.environ, FLASK_APP="wsgi.py", DATABASE_URL=url, SECRET_KEY=BENCH_SECRET)
    env.update(extra)
    return env


def migration_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(ROOT / "migrations")).get_current_head()


def read_meta(url: str) -> dict | None:
    """The bench_meta record of a complete earlier generation, or None. Never creates a SQLite file."""
    if url.startswith("sqlite") and not Path(sa.engine.make_url(url).database).exists():
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
            if META_TABLE not in tables or "alembic_version" not in tables:
                return None
            value = conn.execute(sa.text(f"SELECT value FROM {META_TABLE} WHERE key = 'dataset'")).scalar()
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    if value is None:
        return None
    meta = json.loads(value)
    meta["database_revision"] = revision
    return meta


def write_meta(conn: sa.Connection, meta: dict) -> None:
    table = sa.Table(META_TABLE, sa.MetaData(), sa.Column("key", sa.String(40), primary_key=True),
                     sa.Column("value", sa.Text, nullable=False))
    table.create(conn, checkfirst=True)
    conn.execute(sa.delete(table))
    conn.execute(sa.insert(table), [{"key": "dataset", "value": json.dumps(meta, default=str)}])


def why_not_reusable(meta: dict | None, *, scale: int, seed: int, version: int) -> str | None:
    """None when the database can be reused as it is; otherwise the reason, to print."""
    if meta is None:
        return "no generated dataset there yet"
    wanted = {"scale": scale, "seed": seed, "generator_version": version, "database_revision": migration_head()}
    for key, value in wanted.items():
        if meta.get(key) != value:
            return f"it was generated with {key}={meta.get(key)!r}, this run wants {value!r}"
    return None


def make_empty(url: str, *, drop_schema: bool) -> None:
    """Give generation an empty database. SQLite: delete the file. PostgreSQL: see the rules below."""
    if url.startswith("sqlite"):
        path = Path(sa.engine.make_url(url).database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        return
    _empty_postgres(url, drop_schema=drop_schema)


def _empty_postgres(url: str, *, drop_schema: bool) -> None:
    """An empty database is used as it is; one holding an earlier bench dataset (bench_meta) has its public schema
    dropped and recreated; anything else is left alone unless --drop-schema says otherwise."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            tables = sa.inspect(conn).get_table_names(schema="public")
            if not tables:
                return
            if META_TABLE not in tables and not drop_schema:
                raise SystemExit(
                    f"{shown(url)} holds {len(tables)} tables that are not a bench dataset "
                    f"({', '.join(sorted(tables)[:5])}...). The bench generates into an empty database only. "
                    "Give it an empty database, or pass --drop-schema to DROP SCHEMA public CASCADE there.")
            why = "--drop-schema" if drop_schema else "it holds an earlier bench dataset"
            print(f"dropping and recreating schema public in {shown(url)} ({why})", file=sys.stderr, flush=True)
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


SETUP_COMMANDS = [["db", "upgrade"], ["resources", "load"], ["hubs", "load"]]  # what a new install runs
OPTIONAL_COMMANDS = [["hubs", "load"]]  # skipped while the feature that brings them is not there yet


def set_up_like_a_new_install(url: str) -> None:
    """The schema comes from the app's own migrations and the catalogue and hubs from its own commands."""
    for args in SETUP_COMMANDS:
        result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=forum_env(url),
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0 and args in OPTIONAL_COMMANDS and "No such command" in result.stderr:
            print(f"skipped: flask {' '.join(args)} (command not present yet)", file=sys.stderr, flush=True)
        elif result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"`flask {' '.join(args)}` failed against {shown(url)}")
        elif args[0] != "db":
            print(f"flask {' '.join(args)}: {result.stdout.strip()}", file=sys.stderr, flush=True)
    print(f"schema at migration {migration_head()}", file=sys.stderr, flush=True)
