"""Following a story, a step, a resource or a search: the buttons, the matching job after a story is published,
comments on followed stories, mail for each or a daily digest, and the signed one-click unsubscribe link."""
import re

import pytest
import sqlalchemy as sa

from forum import following, jobs, notifications, search, threads
from forum.extensions import db
from forum.models import Follow, MailPreference, Notification
from tests.builders import fresh, get_csrf, make_resource, make_story, make_user, post_form, sign_in
from tests.web.test_account_mail import HeldJobs, mails
from tests.web.test_stories import story_data


@pytest.fixture
def held_jobs(monkeypatch):
    held = HeldJobs()
    monkeypatch.setattr(jobs, "_run_here", lambda calls: held.extend(calls))
    return held


def follow(client, kind: str, target: str, value: str = "1"):
    return client.post("/follow", data={"csrf_token": get_csrf(client, "/settings"), "kind": kind,
                                        "target": target, "value": value, "next": "/following"})


def member(app, name: str, **follows):
    """A signed-in client of a new member who follows each kind=target given."""
    user = make_user(name)
    client = app.test_client()
    sign_in(client, user)
    for kind, target in follows.items():
        assert follow(client, kind, target).status_code == 302
    return user, client


def told(user) -> list[str]:
    db.session.rollback()  # end the test's read snapshot: the jobs wrote in sessions of their own
    return db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)).all()


def test_a_published_story_notifies_followers_once_after_the_request(app, client, held_jobs, outbox):
    amboss = make_resource("AMBOSS", steps=["step2ck"])
    step_fan, _ = member(app, "step_fan", step="step2ck", resource=str(amboss.id))
    searcher, _ = member(app, "searcher", search="q=rough++NBME&step=step2ck")
    stranger, _ = member(app, "stranger", step="step1", search="q=anki")
    writer = make_user("writer", background="img")
    db.session.add(MailPreference(user_id=step_fan.id, follow_mail="each"))
    db.session.commit()
    sign_in(client, writer)
    assert follow(client, "step", "step2ck").status_code == 302  # the writer follows the step too
    held_jobs.clear()
    assert post_form(client, "/stories/new", story_data()).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0, "matched in the request"
    assert [call.name for _, call, _ in held_jobs] == ["forum.following.match_new_story"]
    held_jobs.run_all()
    assert told(step_fan) == ["step_story"]  # a step and a resource followed: one notification
    assert told(searcher) == ["search_story"]
    assert told(stranger) == [] and told(writer) == []
    [sent] = mails(outbox)
    assert sent["To"] == step_fan.email and "Passed CK after a rough first NBME" in sent.get_content()
    assert sent["List-Unsubscribe"].strip().startswith("<http://localhost/unsubscribe/")  # folded: a long line
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_comment_on_a_followed_story_notifies_its_followers_not_the_writer_nor_twice(app):
    author = make_user("author")
    story = make_story(author)
    fan, commenter, stranger = make_user("fan"), make_user("commenter"), make_user()
    for user in (fan, commenter, author):
        db.session.add(Follow(user_id=user.id, kind="story", key=str(story.id)))
    db.session.commit()
    threads.add_comment(story=story, author=commenter, body="Did you use @fan's schedule?", parent=None,
                        submission_key=None)
    db.session.commit()  # outside a request the job runs right after the commit
    assert told(fan) == ["mention"]  # mentioned: not told again as a follower
    assert told(author) == ["reply"]
    assert told(commenter) == [] and told(stranger) == []
    second = threads.add_comment(story=story, author=commenter, body="One more thing.", parent=None,
                                 submission_key=None)
    db.session.commit()
    assert sorted(told(fan)) == ["mention", "new_comment"]
    following.notify_comment_followers(second.id, [])  # however it is asked, never its own writer
    assert told(commenter) == []


def test_follow_buttons_show_each_reader_their_own_state_on_cached_pages(app, client):
    amboss = make_resource("AMBOSS", steps=["step2ck"])
    story = make_story(make_user())
    pages = {"story": (f"/stories/{story.id}-{story.slug}", str(story.id)), "step": ("/steps/step-2-ck", "step2ck"),
             "resource": (f"/resources/{amboss.slug}", str(amboss.id)),
             "search": ("/search?q=uworld&step=step2ck&page=2", "q=uworld&step=step2ck")}
    _, fan = member(app, "fan")
    _, other = member(app, "other")
    for kind, (url, target) in pages.items():
        assert "Sign in to follow" in client.get(url).get_data(as_text=True), kind
        assert 'aria-pressed="false">Follow<' in fan.get(url).get_data(as_text=True), kind  # now cached
        assert follow(fan, kind, target).status_code == 302
        for _ in range(2):
            assert 'aria-pressed="true">Following<' in fan.get(url).get_data(as_text=True), kind
            assert 'aria-pressed="false">Follow<' in other.get(url).get_data(as_text=True), kind
    listed = fan.get("/following").get_data(as_text=True)
    assert all(word in listed for word in ("How I passed Step 2 CK", "Step 2 CK", "AMBOSS", "uworld"))
    assert follow(fan, "step", "step2ck", value="0").status_code == 302
    assert 'aria-pressed="false">Follow<' in fan.get("/steps/step-2-ck").get_data(as_text=True)
    from forum import recount

    assert recount.check() == []  # users.follow_count moved with every follow and unfollow


def test_what_cannot_be_followed_is_refused(app):
    _, fan = member(app, "fan")
    for kind, target in (("step", "step9"), ("story", "12345"), ("resource", "x"), ("search", ""), ("planet", "1")):
        assert follow(fan, kind, target).status_code == 400, (kind, target)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Follow)) == 0


def test_a_search_is_followed_once_however_it_was_typed():
    typed = search.SearchRequest(text="  rough   NBME ", steps=["step2ck", "step1", "step1"], sort="new", page=3)
    same = search.SearchRequest(text="rough NBME", steps=["step1", "step2ck"])
    assert following.search_key(typed) == following.search_key(same) == "q=rough+NBME&step=step1&step=step2ck"


def test_the_daily_digest_mails_what_came_since_the_last_one_once(app, client, outbox):
    reader = make_user("reader")
    story = make_story(make_user(), title="Retook Step 1 and passed")
    sign_in(client, reader)
    chosen = post_form(client, "/settings/profile", {"background": "", "bio": "", "follow_mail": "daily"},
                       token_from="/settings")
    assert chosen.status_code == 302 and fresh(db.session.get(MailPreference, reader.id)).follow_mail == "daily"
    notifications.notify(user_id=reader.id, kind="step_story", actor=story.author, story=story)
    db.session.commit()
    runner = app.test_cli_runner()
    assert "Digests queued: 1." in runner.invoke(args=["notifications", "digest"]).output
    [digest] = mails(outbox)
    body = digest.get_content()
    assert digest["To"] == reader.email and "Retook Step 1 and passed" in body
    link = re.search(r"http://localhost(/unsubscribe/\S+)", body).group(1)
    assert digest["List-Unsubscribe"].strip() == f"<http://localhost{link}>"
    assert "Digests queued: 0." in runner.invoke(args=["notifications", "digest"]).output
    assert len(mails(outbox)) == 1


def test_the_unsubscribe_link_asks_on_get_and_stops_the_mail_on_a_one_click_post(app):
    reader = make_user("reader", email_on_reply=True)
    db.session.add(MailPreference(user_id=reader.id, follow_mail="each"))
    db.session.commit()
    visitor = app.test_client()
    with app.test_request_context():
        follow_link = notifications.unsubscribe_url(reader.id, "follow").removeprefix("http://localhost")
        reply_link = notifications.unsubscribe_url(reader.id, "reply").removeprefix("http://localhost")
    page = visitor.get(follow_link)
    assert page.status_code == 200 and "Stop email about what you follow?" in page.get_data(as_text=True)
    assert db.session.get(MailPreference, reader.id).follow_mail == "each", "a GET changed something"
    # RFC 8058: the mail provider POSTs with no session and no CSRF token
    assert visitor.post(follow_link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert fresh(db.session.get(MailPreference, reader.id)).follow_mail == "off"
    assert visitor.post(reply_link).status_code == 200
    assert fresh(reader).email_on_reply is False
    token = reply_link.rsplit("/", 1)[1]
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", token.replace(".", "!")):
        assert visitor.get(f"/unsubscribe/{bad}").status_code == 400
        assert visitor.post(f"/unsubscribe/{bad}").status_code == 400
