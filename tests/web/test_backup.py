"""flask backup PATH and flask backup --verify PATH, on the configured database (SQLite or PostgreSQL)."""
import contextvars
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from forum import create_app
from forum.extensions import db
from tests.builders import make_story, make_user

PASSWORD_IN_URL = "s3cret-Backup-pw"


def run(app, *args):
    return app.test_cli_runner().invoke(args=["backup", *args])


def backed_up(app, path):
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert path.is_file()
    return path


def scratch_databases() -> list[str]:
    names = db.session.scalars(sa.text("SELECT datname FROM pg_database WHERE datname LIKE :pattern"),
                               {"pattern": f"{db.engine.url.database}\\_verify\\_%"})
    return list(names)


def test_a_backup_restores_and_verifies(app, tmp_path):
    make_story(make_user("writer"))
    path = backed_up(app, tmp_path / "forum.backup")
    result = run(app, "--verify", str(path))
    assert result.exit_code == 0, result.output
    assert "The backup is good." in result.output
    lines = result.output.splitlines()
    assert any(line.split() == ["stories", "1", "1"] for line in lines), result.output
    assert any(line.split() == ["users", "1", "1"] for line in lines), result.output
    assert "(head is" in result.output


def test_verify_reports_rows_added_since_the_backup_without_failing(app, tmp_path):
    author = make_user("writer")
    make_story(author)
    path = backed_up(app, tmp_path / "forum.backup")
    make_story(author, title="Written after the backup")
    result = run(app, "--verify", str(path))
    assert result.exit_code == 0, result.output
    assert any(line.split() == ["stories", "1", "2", "(+1", "since", "the", "backup)"]
               for line in result.output.splitlines()), result.output


def test_a_backup_never_overwrites_a_file(app, tmp_path):
    existing = tmp_path / "forum.db"
    existing.write_bytes(b"precious")
    result = run(app, str(existing))
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert existing.read_bytes() == b"precious"


@pytest.mark.parametrize("where", ["missing-directory", "unwritable-directory"])
def test_a_backup_to_a_place_it_cannot_write_is_a_clear_error(app, tmp_path, where):
    path = tmp_path / "no" / "such" / "dir" / "x.backup" if where == "missing-directory" else \
        Path("/proc/forum-test.backup")  # not writable even by root
    result = run(app, str(path))
    assert result.exit_code == 1
    assert result.output.startswith("Error:"), result.output
    assert "Traceback" not in result.output
    assert not path.exists()


def test_verify_of_a_missing_file_is_a_clear_error(app, tmp_path):
    result = run(app, "--verify", str(tmp_path / "nothing.backup"))
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_verify_of_a_file_that_is_not_a_backup_is_a_clear_error(app, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n")
    result = run(app, "--verify", str(path))
    assert result.exit_code == 1
    assert "is not a backup" in result.output


def test_verify_of_a_truncated_backup_fails_cleanly(app, tmp_path):
    for n in range(20):
        make_story(title=f"Story number {n}", body="A long body. " * 200)
    path = backed_up(app, tmp_path / "forum.backup")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    result = run(app, "--verify", str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    if db.engine.dialect.name == "postgresql":
        assert scratch_databases() == []


def test_verify_on_postgresql_drops_its_scratch_database(app, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL restores into a scratch database; SQLite into a temporary file")
    path = backed_up(app, tmp_path / "forum.backup")
    assert run(app, "--verify", str(path)).exit_code == 0
    assert scratch_databases() == []


def test_backup_errors_never_show_the_database_password(tmp_path):
    """pg_dump against a server that is not there: the error is pg_dump's, without the URL's password."""
    url = f"postgresql+psycopg://forum:{PASSWORD_IN_URL}@127.0.0.1:1/forum"
    unreachable = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test", "TESTING": True})
    runner = unreachable.test_cli_runner()
    # A context of its own: the CLI would otherwise reuse whichever app context a fixture left pushed.
    result = contextvars.Context().run(runner.invoke, args=["backup", str(tmp_path / "x.backup")])
    assert result.exit_code == 1
    assert "pg_dump failed" in result.output
    assert PASSWORD_IN_URL not in result.output


def test_sqlite_backup_is_one_consistent_moment_while_a_writer_is_busy(sqlite_app, tmp_path):
    """A write in progress (not committed) neither blocks the backup nor appears in it."""
    make_user("committed")
    writer = sqlite3.connect(db.engine.url.database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE users SET bio = 'half-written' WHERE username = 'committed'")
        path = backed_up(sqlite_app, tmp_path / "forum.backup")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = sqlite3.connect(path)
    try:
        assert copy.execute("SELECT bio FROM users").fetchall() == [("",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    finally:
        copy.close()


def test_sqlite_verify_fails_a_backup_at_another_migration(sqlite_app, tmp_path):
    path = backed_up(sqlite_app, tmp_path / "forum.backup")
    with sqlite3.connect(path) as copy:
        copy.execute("UPDATE alembic_version SET version_num = '0004_curation'")
    copy.close()
    result = run(sqlite_app, "--verify", str(path))
    assert result.exit_code == 1
    assert "the backup is at migration 0004_curation" in result.output
    assert "FAILED" in result.output


def test_sqlite_verify_fails_a_database_that_is_not_the_forums(sqlite_app, tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    other.close()
    result = run(sqlite_app, "--verify", str(path))
    assert result.exit_code == 1
    assert "not a Step Stories database" in result.output
