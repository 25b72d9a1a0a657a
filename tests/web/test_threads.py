"""Comments, replies, votes, notifications and bookmarks."""
import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from forum import ranking
from forum.extensions import db
from forum.models import MAX_DEPTH, Comment, ModAction, Notification, Revision, SavedStory, StoryVote
from tests.builders import (
    fresh,
    get_csrf,
    make_comment,
    make_story,
    make_user,
    post_form,
    sign_in,
)


def story_path(story) -> str:
    return f"/stories/{story.id}-{story.slug}"


def comment_on(client, story, body, parent=None, **extra):
    data = {"body": body, **({"parent_id": str(parent.id)} if parent else {}), **extra}
    return post_form(client, f"/stories/{story.id}/comments", data, token_from=story_path(story))


@pytest.fixture
def veteran(client):
    """A signed-in member older than a week (new accounts have lower limits)."""
    user = make_user("veteran", created_at=datetime(2024, 1, 1))
    sign_in(client, user)
    return user


def test_comment_and_reply_nest_in_reading_order(client, veteran):
    story = make_story()
    first = comment_on(client, story, "Top-level **comment**")
    assert first.status_code == 302 and re.search(r"#c\d+$", first.headers["Location"])
    parent = db.session.scalar(sa.select(Comment))
    comment_on(client, story, "A reply to it", parent=parent)
    reply = db.session.scalar(sa.select(Comment).where(Comment.parent_id == parent.id))
    assert (reply.depth, reply.path.split(".")[0]) == (1, parent.path)
    page = client.get(story_path(story)).get_data(as_text=True)
    assert page.index("Top-level <strong>comment</strong>") < page.index("A reply to it")
    assert fresh(story).comment_count == 2


def test_permalink_redirects_to_the_comment(client):
    story = make_story()
    comment = make_comment(story)
    response = client.get(f"/comments/{comment.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{story_path(story)}#c{comment.id}"
    assert client.get("/comments/999999").status_code == 404


def test_replies_deeper_than_eight_show_at_eight_with_their_target(client):
    story = make_story()
    parent = None
    chain = []
    for n in range(MAX_DEPTH + 3):
        parent = make_comment(story, make_user(f"deep{n}"), body=f"level {n} words", parent=parent)
        chain.append(parent)
    page = client.get(story_path(story)).get_data(as_text=True)
    assert f'class="comment-item level-{MAX_DEPTH}" id="c{chain[-1].id}"' in page
    assert f"level-{MAX_DEPTH + 1}" not in page
    assert f"replying to @deep{MAX_DEPTH + 1}" in page


@pytest.mark.parametrize("reply", [False, True], ids=["comment", "reply"])
def test_locked_story_takes_no_comments_and_keeps_the_text(client, veteran, reply):
    story = make_story(locked=True)
    parent = make_comment(story) if reply else None
    response = comment_on(client, story, "Can I still say this?", parent=parent)
    assert response.status_code == 403
    assert "Can I still say this?" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == (1 if reply else 0)


def test_banned_user_cannot_comment(client):
    sign_in(client, make_user(banned_until=datetime(2999, 1, 1)))
    story = make_story()
    assert comment_on(client, story, "Spam spam spam").status_code == 403


def test_soft_deleted_comment_keeps_its_replies(app, veteran, client):
    story = make_story()
    comment_on(client, story, "I will delete this")
    mine = db.session.scalar(sa.select(Comment))
    make_comment(story, body="A reply that stays", parent=mine)
    response = post_form(client, f"/comments/{mine.id}/delete", {}, token_from=story_path(story))
    assert response.status_code == 302
    page = app.test_client().get(story_path(story)).get_data(as_text=True)
    assert "[deleted by its author]" in page and "I will delete this" not in page
    assert "A reply that stays" in page


def test_other_member_cannot_delete_or_edit(client, veteran):
    comment = make_comment(make_story(), body="Someone else's words")
    assert post_form(client, f"/comments/{comment.id}/delete", {}, token_from="/").status_code == 403
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert fresh(comment).status == "published"


def test_editing_keeps_a_revision_and_a_moderator_edit_is_logged(app, client, veteran):
    story = make_story()
    comment_on(client, story, "First wording")
    comment = db.session.scalar(sa.select(Comment))
    post_form(client, f"/comments/{comment.id}/edit", {"body": "Second wording"})
    assert fresh(comment).body == "Second wording"
    assert db.session.scalar(sa.select(Revision.body)) == "First wording"
    moderator = app.test_client()
    sign_in(moderator, make_user(role="moderator"))
    post_form(moderator, f"/comments/{comment.id}/edit", {"body": "Moderated wording"})
    assert db.session.scalar(sa.select(ModAction.action)) == "edit_comment"


def test_a_thread_of_500_loads_with_the_same_queries_as_5(client, page_queries):
    story = make_story()
    url = story_path(story)

    authors = [make_user() for _ in range(5)]
    parent = None
    for n in range(5):
        parent = make_comment(story, authors[n % 5], body=f"comment {n}", parent=parent if n % 2 else None)
    few = page_queries(url)
    for n in range(495):
        parent = make_comment(story, authors[n % 5], body=f"more {n}", parent=parent if n % 3 else None)
    assert page_queries(url) == few
    assert client.get(url).get_data(as_text=True).count('class="comment-body') == 500


def test_a_signed_in_reader_also_loads_a_thread_in_constant_queries(client, veteran, page_queries):
    """Signed in, the page cache is bypassed anyway; it is off here so the memoised similar stories count too."""
    story = make_story()
    url = story_path(story)
    make_comment(story)
    assert "veteran" in client.get(url).get_data(as_text=True)  # the signed-in header: not an anonymous page
    few = page_queries(url)
    for n in range(60):
        make_comment(story, body=f"reply {n}")
    assert page_queries(url) == few


def vote(client, url, value, json=False):
    headers = {"Accept": "application/json"} if json else {}
    return post_form(client, url, {"value": value}, token_from="/auth/register", headers=headers)


def test_upvote_and_take_it_back(client, veteran):
    author = make_user()
    story = make_story(author)
    response = vote(client, f"/stories/{story.id}/vote", "1", json=True)
    assert response.get_json() == {"votes": 1, "voted": True}
    assert vote(client, f"/stories/{story.id}/vote", "1", json=True).get_json() == {"votes": 1, "voted": True}
    assert fresh(author).karma == 1 and fresh(story).votes == 1
    assert story.hot == ranking.hot(1, story.created_at)
    assert vote(client, f"/stories/{story.id}/vote", "0", json=True).get_json() == {"votes": 0, "voted": False}
    assert fresh(story).votes == 0 and fresh(author).karma == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoryVote)) == 0


def test_vote_without_javascript_redirects_back(client, veteran):
    story = make_story()
    response = post_form(client, f"/stories/{story.id}/vote", {"value": "1", "next": story_path(story)},
                         token_from="/")
    assert response.status_code == 302 and response.headers["Location"] == story_path(story)
    evil = post_form(client, f"/stories/{story.id}/vote", {"value": "0", "next": "//evil.example"}, token_from="/")
    assert evil.headers["Location"] == story_path(story)


def test_comment_votes_move_karma(client, veteran):
    author = make_user()
    comment = make_comment(make_story(), author)
    assert vote(client, f"/comments/{comment.id}/vote", "1", json=True).get_json()["votes"] == 1
    assert fresh(author).karma == 1


@pytest.mark.parametrize("who", ["author", "banned", "anonymous"])
def test_who_cannot_vote(app, who):
    author = make_user()
    story = make_story(author)
    client = app.test_client()
    if who == "author":
        sign_in(client, author)
    elif who == "banned":
        sign_in(client, make_user(banned_until=datetime(2999, 1, 1)))
    response = vote(client, f"/stories/{story.id}/vote", "1", json=True)
    assert response.status_code in (401, 403)
    assert fresh(story).votes == 0


def test_vote_needs_a_csrf_token_and_a_valid_value(client, veteran):
    story = make_story()
    assert client.post(f"/stories/{story.id}/vote", data={"value": "1"}).status_code == 400
    assert vote(client, f"/stories/{story.id}/vote", "7").status_code == 400
    assert client.get(f"/stories/{story.id}/vote").status_code == 405


def test_csrf_token_in_a_header_works_for_script_votes(client, veteran):
    story = make_story()
    token = get_csrf(client, "/")
    response = client.post(f"/stories/{story.id}/vote", data={"value": "1"},
                           headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert response.get_json() == {"votes": 1, "voted": True}


def test_reply_notifies_the_story_and_comment_authors_but_not_yourself(app, client, veteran):
    story_author = make_user("storyteller")
    story = make_story(story_author)
    comment_on(client, story, "Great story")
    assert fresh(story_author).unread_notifications == 1
    mine = db.session.scalar(sa.select(Comment))
    comment_on(client, story, "Replying to myself", parent=mine)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    other = app.test_client()
    sign_in(other, story_author)
    assert ">1</span>" in other.get("/").get_data(as_text=True)
    comment_on(other, story, "Thanks!", parent=mine)
    assert fresh(veteran).unread_notifications == 1
    page = client.get("/notifications").get_data(as_text=True)
    assert "storyteller" in page and "replied" in page
    post_form(client, "/notifications/read", {}, token_from="/notifications")
    assert fresh(veteran).unread_notifications == 0


def test_mentions_notify_once_and_never_yourself(client, veteran):
    named = make_user("named_person")
    story = make_story(named)
    comment_on(client, story, "Ask @named_person and @NAMED_PERSON and @veteran and @nobody_at_all")
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == named.id)).all()
    assert kinds == ["reply"]  # the story's author hears once, as a reply
    listener = make_user("listener")
    comment_on(client, story, "cc @listener")
    assert db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == listener.id)).all() == [
        "mention"]
    assert fresh(veteran).unread_notifications == 0


def test_a_mention_of_a_member_links_to_their_profile(client, veteran):
    make_user("Named_Person")
    story = make_story()
    comment_on(client, story, "Ask @named_person, not @nobody_at_all")
    html = client.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)
    assert '<a href="/u/Named_Person" rel="nofollow ugc noopener">@named_person</a>' in html
    assert "@nobody_at_all" in html and 'href="/u/nobody_at_all"' not in html


def test_reply_email_goes_only_to_those_who_asked(client, veteran, outbox):
    wants = make_user("wants_mail", email_on_reply=True)
    silent = make_user("no_mail")
    comment_on(client, make_story(wants), "Reply one")
    comment_on(client, make_story(silent), "Reply two")
    mails = [p.read_text() for p in outbox.glob("*.eml")]
    assert len(mails) == 1 and "wants_mail@example.org" in mails[0]


def test_save_and_unsave_a_story(client, veteran):
    story = make_story(title="Worth keeping")
    post_form(client, f"/stories/{story.id}/save", {"value": "1"}, token_from="/")
    post_form(client, f"/stories/{story.id}/save", {"value": "1"}, token_from="/")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedStory)) == 1
    assert "Worth keeping" in client.get("/saved").get_data(as_text=True)
    post_form(client, f"/stories/{story.id}/save", {"value": "0"}, token_from="/")
    assert "Worth keeping" not in client.get("/saved").get_data(as_text=True)


@pytest.mark.parametrize("reply", [False, True], ids=["comment", "reply"])
def test_comment_rate_limit_keeps_the_text(client, reply):
    story = make_story()
    parent = make_comment(story) if reply else None
    sign_in(client, make_user())  # a new account: 6 comments per 10 minutes
    for n in range(6):
        assert comment_on(client, story, f"comment number {n}").status_code == 302
    limited = comment_on(client, story, "the seventh, kept for later", parent=parent)
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert "the seventh, kept for later" in limited.get_data(as_text=True)


@pytest.mark.parametrize(("body", "token", "status"), [("", True, 400), ("x" * 10_001, True, 400),
                                                        ("Typed before the form expired", False, 400)],
                         ids=["empty", "too long", "expired form"])
def test_a_refused_reply_comes_back_in_the_form(client, veteran, body, token, status):
    """The reply form quotes the comment it answers: a refusal must show it again, with the text, not a 500."""
    story = make_story()
    parent = make_comment(story, make_user("asked_first"), body="The question being answered")
    data = {"body": body, "parent_id": str(parent.id)}
    response = comment_on(client, story, body, parent=parent) if token else \
        client.post(f"/stories/{story.id}/comments", data=data)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert "asked_first" in page and "The question being answered" in page
    assert f'name="parent_id" type="hidden" value="{parent.id}"' in page
    assert body[:100] in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1


def test_double_submit_makes_one_comment(client, veteran):
    story = make_story()
    comment_on(client, story, "Only once please", submission_key="same-key-123")
    comment_on(client, story, "Only once please", submission_key="same-key-123")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1


def test_comment_sorts(client):
    story = make_story()
    old = make_comment(story, body="old and popular", votes=5, created_at=datetime(2026, 1, 1))
    new = make_comment(story, body="new and quiet", votes=0, created_at=datetime(2026, 2, 1))
    top = client.get(story_path(story)).get_data(as_text=True)
    assert top.index("old and popular") < top.index("new and quiet")
    newest = client.get(story_path(story) + "?comments=new").get_data(as_text=True)
    assert newest.index("new and quiet") < newest.index("old and popular")
    assert old.id < new.id


def test_thread_shows_reply_vote_and_edit_controls_to_a_signed_in_member(client, veteran):
    story = make_story()
    theirs = make_comment(story, body="Someone else's comment")
    mine = make_comment(story, veteran, body="My own comment")
    page = client.get(story_path(story)).get_data(as_text=True)
    assert f'href="/comments/{theirs.id}/reply"' in page
    assert f'action="/comments/{theirs.id}/vote"' in page
    assert f'href="/comments/{mine.id}/edit"' in page
    assert f'action="/comments/{mine.id}/vote"' not in page  # not on your own
