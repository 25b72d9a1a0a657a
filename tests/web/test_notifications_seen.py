"""Opening /notifications clears the header's count without writing (the visit is kept in the session), marks
what came since the last visit as new, and shows each notification with a snippet."""
import re

from forum import notifications
from forum.extensions import db
from tests.builders import QueryCounter, make_comment, make_story, make_user, sign_in

WRITES = ("INSERT", "UPDATE", "DELETE")


def header_count(client, url: str = "/") -> int:
    match = re.search(r'class="notif-link">Notifications <span class="count">(\d+)</span>',
                      client.get(url).get_data(as_text=True))
    return int(match.group(1)) if match else 0


def reply_to(story, body: str = "A reply long enough to quote in the list."):
    """A comment on the story and its reply notification for the story's author, as the comment view makes them."""
    replier = make_user()
    comment = make_comment(story, replier, body=body)
    notifications.notify(user_id=story.author_id, kind="reply", actor=replier, story=story, comment=comment)
    db.session.commit()
    return comment


def test_opening_notifications_clears_the_header_count_without_a_write(client):
    author = make_user("ines")
    story = make_story(author)
    for _ in range(2):
        reply_to(story)
    sign_in(client, author)
    assert header_count(client) == 2
    with QueryCounter() as counter:
        page = client.get("/notifications")
    assert page.status_code == 200
    assert not [s for s in counter.statements if s.lstrip().upper().startswith(WRITES)]
    assert header_count(client) == 0
    assert header_count(client, "/notifications") == 0
    reply_to(story)
    assert header_count(client) == 1  # what came after the visit counts again
    assert header_count(app_client_of(client, author)) == 3, "another browser never opened the page"


def app_client_of(client, user):
    other = client.application.test_client()
    sign_in(other, user)
    return other


def test_the_page_marks_only_what_came_since_the_last_visit_as_new(client):
    author = make_user("ines")
    story = make_story(author)
    reply_to(story, body="The first reply, seen on the first visit.")
    sign_in(client, author)
    assert client.get("/notifications").get_data(as_text=True).count('<span class="badge">New</span>') == 1
    reply_to(story, body="The second reply, after the visit.")
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('<span class="badge">New</span>') == 1
    assert page.index("New</span>") < page.index("The second reply") < page.index("The first reply")


def test_each_notification_shows_a_snippet_in_the_same_queries_for_one_or_many(client):
    author = make_user("ines")
    story = make_story(author, body="**Eight weeks** of UWorld, then the NBMEs. " * 3)
    reply_to(story, body="Which *NBME* forms did you take, and how far apart?")
    notifications.notify(user_id=author.id, kind="step_story", actor=make_user(), story=story)
    db.session.commit()
    sign_in(client, author)
    client.get("/notifications")
    with QueryCounter() as few:
        page = client.get("/notifications").get_data(as_text=True)
    assert "Which NBME forms did you take, and how far apart?" in page  # plain text: the markup is gone
    assert "Eight weeks of UWorld, then the NBMEs." in page
    for _ in range(5):
        reply_to(story)
    with QueryCounter() as many:
        client.get("/notifications")
    assert many.count == few.count
