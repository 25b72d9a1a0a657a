"""No page a member uses all day makes SQLite read a whole big table.

Every SELECT the requests below run is explained on SQLite, and a plan step that scans stories, comments or users
without an index fails the test. Found under load: an outer join from comments (or notifications) to stories,
whose author relationship is joined too, is planned as "materialise stories JOIN users, then scan it", which read
all 100,000 stories of the bench for each comment a member owned or upvoted (10 s a page).
"""
import re

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import Notification
from tests.builders import make_comment, make_story, make_user, post_form, sign_in

FULL_SCAN = re.compile(r"^SCAN (stories|comments|users)\w*$")


@pytest.fixture
def statements(sqlite_app):
    seen: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and not executemany:
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def full_scans(seen) -> list[str]:
    found = []
    with db.engine.connect() as conn:
        for statement, parameters in seen:
            for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all():
                if FULL_SCAN.match(row[-1]):
                    found.append(f"{row[-1]} in: {statement[-300:]}")
    return found


def test_a_members_thread_comment_pages_and_notifications_read_by_index(sqlite_app, statements):
    client = sqlite_app.test_client()
    for n in range(30):  # enough stories that a scan is not the planner's cheap choice
        make_story(title=f"Filler story {n}")
    author, reader = make_user("osprey"), make_user("reader")
    story = make_story(author, title="A thread to read")
    theirs = make_comment(story, author, body="The author's comment")
    url = f"/stories/{story.id}-{story.slug}"
    sign_in(client, reader)
    post_form(client, f"/comments/{theirs.id}/vote", {"value": "1"}, token_from=url)
    post_form(client, f"/stories/{story.id}/comments", {"body": "Reader's own, mentioning @osprey"}, token_from=url)
    mine = db.session.scalar(sa.text("SELECT id FROM comments WHERE body LIKE 'Reader%'"))
    db.session.add(Notification(user_id=reader.id, kind="reply", actor_id=author.id, story_id=story.id,
                                comment_id=theirs.id))
    db.session.commit()
    statements.clear()
    for page in (url, url, f"/comments/{mine}/edit", f"/comments/{theirs.id}/reply", f"/comments/{theirs.id}",
                 "/notifications"):
        assert client.get(page, follow_redirects=True).status_code == 200, page
    assert statements, "nothing was recorded"
    assert full_scans(statements) == []
