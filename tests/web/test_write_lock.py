"""SQLite's write lock is taken for the writes only (issue 14, item 2).

Before, every POST began with BEGIN IMMEDIATE and held the one write lock to its end, through the reads, the
Markdown and the template: a failed sign-in or a slow preview made every other writer wait, and past the 10 s busy
timeout they got a 503. Now a transaction reads deferred and takes the lock at its first write (forum/database.py);
the autouse fixture in tests/web/conftest.py checks at every render that no request holds it.
"""
import sqlite3
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import Comment, Story
from tests.builders import get_csrf, make_comment, make_story, make_user, post_form, sign_in


@contextmanager
def write_lock_held_elsewhere(app):
    """Another process's writer, mid-transaction: holds SQLite's write lock until the block ends."""
    other = sqlite3.connect(sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None,
                            timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


def lock_is_free(app) -> bool:
    try:
        with write_lock_held_elsewhere(app):
            return True
    except sqlite3.OperationalError:  # "database is locked", at once: timeout=0
        return False


def test_a_transaction_reads_without_the_lock_and_takes_it_at_its_first_write(sqlite_app):
    story = make_story()
    with sqlite_app.test_request_context("/", method="POST"):
        db.session.scalar(sa.select(Story.votes).where(Story.id == story.id))
        assert db.session().in_transaction()
        assert lock_is_free(sqlite_app)  # before: BEGIN IMMEDIATE had taken it at the first statement
        db.session.execute(sa.update(Story).where(Story.id == story.id).values(votes=Story.votes + 1))
        assert not lock_is_free(sqlite_app)
        db.session.commit()
        assert lock_is_free(sqlite_app)


def test_a_write_after_another_writer_committed_does_not_fail(sqlite_app):
    """A deferred read transaction cannot upgrade once someone else wrote; the write phase starts afresh."""
    story = make_story()
    with sqlite_app.test_request_context("/", method="POST"):
        assert db.session.scalar(sa.select(Story.votes).where(Story.id == story.id)) == 0
        other = sqlite3.connect(sa.make_url(sqlite_app.config["SQLALCHEMY_DATABASE_URI"]).database,
                                isolation_level=None)
        other.execute("UPDATE stories SET votes = votes + 1 WHERE id = ?", (story.id,))
        other.close()
        db.session.execute(sa.update(Story).where(Story.id == story.id).values(votes=Story.votes + 1))
        db.session.commit()
        assert db.session.scalar(sa.select(Story.votes).where(Story.id == story.id)) == 2


def test_a_failed_sign_in_answers_while_another_request_writes(sqlite_app):
    client = sqlite_app.test_client()
    member = make_user()
    token = get_csrf(client)
    with write_lock_held_elsewhere(sqlite_app):
        response = client.post("/auth/login", data={"csrf_token": token, "login": member.username,
                                                     "password": "not the password at all"})
    assert response.status_code == 200  # the sign-in page with its error, not 503 "database is locked"
    assert "do not match" in response.get_data(as_text=True)


def test_a_story_form_error_and_a_preview_answer_while_another_request_writes(sqlite_app):
    client = sqlite_app.test_client()
    member = make_user()
    sign_in(client, member)
    token = get_csrf(client, "/stories/new")
    with write_lock_held_elsewhere(sqlite_app):
        refused = client.post("/stories/new", data={"csrf_token": token, "title": "", "body": "Half written"})
        preview = client.post("/stories/new", data={"csrf_token": token, "title": "", "body": "# Draft",
                                                    "preview": "Preview"})
    assert refused.status_code == 400
    assert preview.status_code == 200 and "Draft</h2>" in preview.get_data(as_text=True)


def test_a_writer_waits_for_the_lock_and_then_writes(sqlite_app):
    """The write phase queues for the lock (busy timeout) rather than failing at once."""
    client = sqlite_app.test_client()
    member = make_user()
    story = make_story()
    sign_in(client, member)
    response = post_form(client, f"/stories/{story.id}/vote", {"value": "1"}, token_from=f"/stories/{story.id}")
    assert response.status_code in (200, 302)
    assert db.session.scalar(sa.select(Story.votes).where(Story.id == story.id)) == 1


@pytest.mark.parametrize("body", ["Edited to thank @helper for the plan.", "Edited, no mention."])
def test_editing_a_comment_renders_before_it_writes(app, client, body):
    """With a mention the edit looks the member up, and that query used to flush the new revision first, so the
    Markdown was rendered holding the lock (the autouse fixture fails the test if it is)."""
    author = make_user()
    make_user("helper")
    comment = make_comment(make_story(), author, body="First version.")
    sign_in(client, author)
    response = post_form(client, f"/comments/{comment.id}/edit", {"body": body})
    assert response.status_code == 302
    assert db.session.get(Comment, comment.id).body == body


def test_a_writer_that_waits_past_the_busy_timeout_gets_a_503_and_nothing_is_written(sqlite_app, tmp_path):
    """The write phase queues for the lock; if the other writer keeps it past the busy timeout, the request is
    answered 503 with Retry-After (the database is busy, not broken), not a 500."""
    from forum import create_app

    impatient = create_app({**{k: sqlite_app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")},
                            "SQLITE_BUSY_TIMEOUT_MS": 50, "MAIL_OUTBOX": str(tmp_path)})
    member = make_user()
    story = make_story()
    client = impatient.test_client()
    sign_in(client, member)
    token = get_csrf(client, f"/stories/{story.id}")
    with write_lock_held_elsewhere(sqlite_app):
        response = client.post(f"/stories/{story.id}/vote", data={"csrf_token": token, "value": "1"})
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert db.session.scalar(sa.select(Story.votes).where(Story.id == story.id)) == 0
