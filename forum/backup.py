"""Backups taken while the site serves, and a check that one restores.

SQLite: the online backup API copies the database page by page through a connection of its own, so the copy is
one consistent moment even while requests write. PostgreSQL: pg_dump's custom format, one snapshot, restored
with pg_restore. `verify` restores a backup into a scratch database, checks it, and throws the scratch away.
A backup that was never restored is a hope, not a backup.
"""
import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from .database import migration_head
from .extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
SQLITE_PAGES_PER_STEP = 1024  # 4 MiB a step at the default page size: writers wait at most one step for the copy
PG_TOOL_TIMEOUT_SECONDS = 3600  # pg_dump/pg_restore of a large forum takes minutes; an hour means it is stuck


class BackupError(Exception):
    """A backup or check that cannot go on; the message says why and never holds a password."""


@dataclass
class TableCount:
    table: str
    backup: int
    live: int | None  # None when the live database is another kind, or has no such table


@dataclass
class Verification:
    kind: str  # "sqlite" | "postgresql"
    revision: str | None
    head: str
    counts: list[TableCount] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# Taking a backup

def make_backup(path: str | os.PathLike, *, progress: Callable[[int, int], None] | None = None) -> Path:
    """Write a backup of the configured database to path (which must not exist yet); returns the path.

    progress(done, total), when given, hears of the SQLite pages copied after each step; pg_dump tells nothing."""
    target = _writable_target(Path(path))
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        if _backend() == "sqlite":
            _backup_sqlite(partial, progress=progress)
        else:
            _backup_postgresql(partial)
        partial.rename(target)  # the finished name appears only once the whole backup is there
    finally:
        partial.unlink(missing_ok=True)
    return target


def _backend() -> str:
    return db.engine.dialect.name


def _writable_target(target: Path) -> Path:
    """Refuse anything but a new file in a writable directory: an existing file may be the live database."""
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new name (backups are never overwritten).")
    directory = target.parent
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a directory; create it first.")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise BackupError(f"{directory} is not writable by this user.")
    return target


def _backup_sqlite(partial: Path, *, progress: Callable[[int, int], None] | None) -> None:
    def step_done(_status, remaining: int, total: int) -> None:
        progress(total - remaining, total)

    source = db.engine.raw_connection()
    try:
        destination = sqlite3.connect(partial)
        try:
            source.driver_connection.backup(destination, pages=SQLITE_PAGES_PER_STEP,
                                            progress=step_done if progress else None)
            # One self-contained file: a copy in WAL mode would want its -wal and -shm files beside it.
            destination.execute("PRAGMA journal_mode=DELETE")
        finally:
            destination.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not write {partial.parent}: {error}") from None
    finally:
        source.close()


def _backup_postgresql(partial: Path) -> None:
    url = db.engine.url
    _run_pg_tool(["pg_dump", "--format=custom", "--no-password", f"--file={partial}", _libpq_url(url)], url)


# Verifying a backup

def verify_backup(path: str | os.PathLike) -> Verification:
    """Restore the backup into a scratch database, check it, compare its row counts with the live database."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"{source} does not exist or is not a file.")
    try:
        with open(source, "rb") as file:
            magic = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"{source} cannot be read: {error.strerror}.") from None
    if magic.startswith(SQLITE_MAGIC):
        return _verify_sqlite(source)
    if magic.startswith(PG_DUMP_MAGIC):
        return _verify_postgresql(source)
    raise BackupError(f"{source} is not a backup: neither a SQLite database nor a pg_dump custom-format archive.")


def _verify_sqlite(source: Path) -> Verification:
    with tempfile.TemporaryDirectory(prefix="forum-verify-") as scratch:
        copy = Path(scratch) / "restored.db"
        shutil.copyfile(source, copy)  # checks may write (a journal); the backup itself stays untouched
        engine = sa.create_engine(f"sqlite:///{copy}", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                integrity = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
                foreign = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                result = _check_restored(conn, kind="sqlite")
        except sa.exc.DatabaseError as error:
            raise BackupError(f"{source} is not a readable SQLite database: {error.orig}") from None
        finally:
            engine.dispose()
    if integrity != ["ok"]:
        result.problems.insert(0, "integrity check failed: " + "; ".join(integrity[:5]))
    if foreign:
        tables = sorted({row[0] for row in foreign})
        result.problems.insert(0, f"{len(foreign)} rows break a foreign key (in {', '.join(tables)})")
    return result


def _verify_postgresql(source: Path) -> Verification:
    if _backend() != "postgresql":
        raise BackupError("This is a PostgreSQL dump: set DATABASE_URL to a PostgreSQL server to restore it into.")
    live = db.engine.url
    scratch = live.set(database=f"{live.database}_verify_{secrets.token_hex(4)}")
    admin = sa.create_engine(live, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{scratch.database}"')
        try:
            # --exit-on-error: a constraint the data breaks (a foreign key, a unique index) fails the restore.
            _run_pg_tool(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--no-password",
                          f"--dbname={_libpq_url(scratch)}", str(source)], live)
            engine = sa.create_engine(scratch, poolclass=sa.pool.NullPool)
            try:
                with engine.connect() as conn:
                    return _check_restored(conn, kind="postgresql")
            finally:
                engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)')
    except sa.exc.DBAPIError as error:
        raise BackupError(f"PostgreSQL refused the scratch database: {_first_line(error.orig)}") from None
    finally:
        admin.dispose()


def _check_restored(conn: sa.Connection, *, kind: str) -> Verification:
    """The checks both kinds share: the migration the copy is at, and its rows per table against the live ones."""
    head = migration_head()
    tables = set(sa.inspect(conn).get_table_names())
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    result = Verification(kind=kind, revision=revision, head=head)
    if revision is None:
        result.problems.append("no alembic_version: this is not a Step Stories database")
    elif revision != head:
        result.problems.append(f"the backup is at migration {revision}, this code's head is {head}: "
                               "run `flask db upgrade` after restoring it")
    live_counts = _live_counts() if _backend() == kind else {}
    for table in db.metadata.sorted_tables:
        if table.name not in tables:
            result.problems.append(f"table {table.name} is missing")
            continue
        count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        result.counts.append(TableCount(table=table.name, backup=count, live=live_counts.get(table.name)))
    return result


def _live_counts() -> dict[str, int]:
    """Row counts of the live database, in one snapshot of their own (they keep growing while we look)."""
    with db.engine.connect() as conn:
        return {table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in db.metadata.sorted_tables}


# PostgreSQL tools

def _libpq_url(url: sa.URL) -> str:
    """The URL for pg_dump/pg_restore: plain postgresql://, and no password (that goes in PGPASSWORD)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run_pg_tool(command: list[str], url: sa.URL) -> None:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    try:
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT_SECONDS)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).") from None
    except subprocess.TimeoutExpired:
        raise BackupError(f"{command[0]} did not finish within {PG_TOOL_TIMEOUT_SECONDS} s.") from None
    if finished.returncode != 0:
        message = finished.stderr.strip() or f"exit status {finished.returncode}"
        if url.password:
            message = message.replace(str(url.password), "***")
        raise BackupError(f"{command[0]} failed: {message}")


def _first_line(error) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def describe(result: Verification) -> list[str]:
    """The report `flask backup --verify` prints: checks, then rows per table beside the live database's."""
    lines = [f"Restored a {result.kind} backup into a scratch database.",
             f"migration: {result.revision or 'none'} (head is {result.head})"]
    width = max([len(count.table) for count in result.counts] + [5])
    lines.append(f"{'table':<{width}}  {'backup':>10}  {'live':>10}")
    for count in result.counts:
        live = "-" if count.live is None else str(count.live)
        note = ""
        if count.live is not None and count.live != count.backup:
            change = count.live - count.backup
            note = f"  ({change:+d} since the backup)"
        lines.append(f"{count.table:<{width}}  {count.backup:>10}  {live:>10}{note}")
    lines.extend(f"PROBLEM: {problem}" for problem in result.problems)
    lines.append("The backup is good." if result.ok else "The backup FAILED verification.")
    return lines
