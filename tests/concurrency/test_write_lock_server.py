"""A real gunicorn on SQLite: while one writer holds the write lock, requests that write nothing still answer.

Before, every POST began with BEGIN IMMEDIATE: a sign-in during someone else's slow write waited the 10 s busy
timeout and got a 503. Here the test process plays that writer (a transaction holding the lock), and the workers
must answer a failed sign-in, a preview and a refused form at once, and queue a real write until the lock is free.
"""
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from forum.models import Story
from tests.builders import csrf_token_from, make_story, make_user


@pytest.fixture
def sqlite_server(forum_db, server):
    if forum_db.backend != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL has row locks")
    return server


def hold_write_lock(database_url: str) -> sqlite3.Connection:
    writer = sqlite3.connect(sa.make_url(database_url).database, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    return writer


def test_requests_that_write_nothing_answer_while_another_holds_the_write_lock(forum_db, sqlite_server):
    with forum_db.app.app_context():
        member = make_user().username
        story_id = make_story().id
    reader = sqlite_server.visitor().sign_in(member)
    stranger = sqlite_server.visitor()
    login_page = stranger.request("/auth/login")
    form = reader.request("/stories/new")

    writer = hold_write_lock(forum_db.url)
    try:
        failed = stranger.request("/auth/login", {"csrf_token": csrf_token_from(login_page.body), "login": member,
                                                  "password": "not the password at all"})
        preview = reader.request("/stories/new", {"csrf_token": csrf_token_from(form.body), "title": "",
                                                  "body": "# A draft", "preview": "Preview"})
        refused = reader.request("/stories/new", {"csrf_token": csrf_token_from(form.body), "title": "",
                                                  "body": "Half written"})
        # A write queues for the lock (busy timeout) and goes through once the other writer commits.
        released = threading.Timer(1.0, writer.execute, ("COMMIT",))
        released.start()
        vote = reader.vote(f"/stories/{story_id}/vote", "1")
        released.join()
    finally:
        if writer.in_transaction:
            writer.execute("ROLLBACK")
        writer.close()

    assert failed.status == 200 and "do not match" in failed.body, failed.status
    assert preview.status == 200 and "A draft</h2>" in preview.body, preview.status
    assert refused.status == 400, refused.status
    assert vote.status == 200, vote.status
    assert forum_db.read(sa.select(Story.votes).where(Story.id == story_id)) == 1
