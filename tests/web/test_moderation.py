"""Reports, moderator actions, roles, the first-posts queue and the public log."""
from datetime import datetime

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import ModAction, Report, Story, User
from tests.builders import fresh, make_comment, make_story, make_user, post_form, sign_in


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def report(client, target_type, target_id, reason="spam", note=""):
    return post_form(client, f"/report/{target_type}/{target_id}", {"reason": reason, "note": note})


def act(client, target_type, target_id, action, **data):
    return post_form(client, f"/mod/{target_type}/{target_id}/{action}", data, token_from="/")


def log_actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(ModAction.action).order_by(ModAction.id)))


def test_member_reports_once_per_item(app):
    comment = make_comment(make_story())
    client = signed_in(app, make_user())
    assert report(client, "comment", comment.id, "harassment", "rude").status_code == 302
    again = report(client, "comment", comment.id, "spam")
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
    other = signed_in(app, make_user())
    report(other, "comment", comment.id, "exam_content")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 2


def test_report_needs_a_reason_and_refuses_your_own_and_banned(app):
    author = make_user()
    story = make_story(author)
    client = signed_in(app, make_user())
    assert report(client, "story", story.id, reason="").status_code == 400
    assert report(client, "story", story.id, reason="made-up").status_code == 400
    assert report(signed_in(app, author), "story", story.id).status_code == 403
    banned = signed_in(app, make_user(banned_until=datetime(2999, 1, 1)))
    assert report(banned, "story", story.id).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_reports_are_grouped_by_item_with_counts(app):
    story = make_story(title="Reported twice")
    for _ in range(2):
        report(signed_in(app, make_user()), "story", story.id, "misinformation", "wrong passing score")
    page = signed_in(app, make_user(role="moderator")).get("/mod/reports").get_data(as_text=True)
    assert "2 reports on a story" in page and "Reported twice" in page and "wrong passing score" in page


def test_remove_a_comment_shows_the_notice_and_resolves_reports(app):
    story = make_story()
    comment = make_comment(story, body="buy cheap qbank accounts here")
    report(signed_in(app, make_user()), "comment", comment.id)
    moderator = signed_in(app, make_user("mod_anna", role="moderator"))
    assert act(moderator, "comment", comment.id, "remove", reason="spam").status_code == 302
    page = app.test_client().get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)
    assert "[removed by a moderator: spam]" in page and "cheap qbank" not in page
    assert db.session.scalar(sa.select(Report.resolution)) == "removed"
    assert "No open reports" in moderator.get("/mod/reports").get_data(as_text=True)
    assert log_actions() == ["remove"]
    act(moderator, "comment", comment.id, "restore", reason="was a real question")
    assert fresh(comment).status == "published"
    assert log_actions() == ["remove", "restore"]


def test_remove_needs_a_public_reason(app):
    story = make_story()
    moderator = signed_in(app, make_user(role="moderator"))
    act(moderator, "story", story.id, "remove", reason="")
    assert fresh(story).status == "published" and log_actions() == []


def test_lock_stops_comments_and_dismiss_closes_reports(app):
    story = make_story()
    report(signed_in(app, make_user()), "story", story.id)
    moderator = signed_in(app, make_user(role="moderator"))
    act(moderator, "story", story.id, "lock", reason="heated")
    assert fresh(story).locked
    act(moderator, "story", story.id, "dismiss")
    assert db.session.scalar(sa.select(Report.resolution)) == "dismissed"
    act(moderator, "story", story.id, "unlock", reason="calmer now")
    assert not fresh(story).locked
    assert log_actions() == ["lock", "dismiss_reports", "unlock"]


def test_ban_the_author_for_days_or_for_good(app):
    author = make_user("troll")
    story = make_story(author)
    moderator = signed_in(app, make_user(role="moderator"))
    act(moderator, "story", story.id, "ban_author", reason="spam links", days="7")
    assert fresh(author).is_banned and author.ban_reason == "spam links"
    assert author.banned_until.year == datetime.now().year or author.banned_until.year == datetime.now().year + 1
    act(moderator, "story", story.id, "ban_author", reason="again")
    assert fresh(author).banned_until.year == 9999
    assert log_actions() == ["ban", "ban"]


def test_a_moderator_cannot_ban_another_moderator(app):
    story = make_story(make_user(role="moderator"))
    moderator = signed_in(app, make_user(role="moderator"))
    assert act(moderator, "story", story.id, "ban_author", reason="x").status_code == 403


def test_admin_changes_roles_and_moderators_cannot(app):
    member = make_user("future_mod")
    admin = signed_in(app, make_user(role="admin"))
    response = post_form(admin, "/mod/users", {"username": "FUTURE_MOD", "role": "moderator", "reason": "helpful"})
    assert response.status_code == 302 and fresh(member).role == "moderator"
    moderator = signed_in(app, make_user(role="moderator"))
    assert moderator.get("/mod/users").status_code == 403
    assert post_form(moderator, "/mod/users", {"username": "future_mod", "role": "member"},
                     token_from="/").status_code == 403
    assert fresh(member).role == "moderator"
    assert log_actions() == ["set_role"]


def test_first_story_of_a_new_account_waits_in_the_queue(app):
    from tests.web.test_stories import story_data

    writer = signed_in(app, make_user())
    post_form(writer, "/stories/new", story_data(submission_key="first-story-key"))
    post_form(writer, "/stories/new", story_data(submission_key="second-story-key", title="My second story here"))
    first, second = db.session.scalars(sa.select(Story).order_by(Story.id)).all()
    assert first.awaiting_review and not second.awaiting_review and first.status == "published"
    moderator = signed_in(app, make_user(role="moderator"))
    assert first.title in moderator.get("/mod/queue").get_data(as_text=True)
    act(moderator, "story", first.id, "review")
    assert not fresh(first).awaiting_review
    assert log_actions() == ["review"]


def test_moderation_log_is_public_and_filterable(app):
    story = make_story(title="Logged story")
    anna, ben = make_user("anna_mod", role="moderator"), make_user("ben_mod", role="moderator")
    act(signed_in(app, anna), "story", story.id, "lock", reason="cool off")
    act(signed_in(app, ben), "story", story.id, "unlock", reason="ok now")
    public = app.test_client()
    page = public.get("/moderation-log").get_data(as_text=True)
    assert "anna_mod" in page and "ben_mod" in page and "cool off" in page
    only_anna = public.get("/moderation-log?moderator=anna_mod").get_data(as_text=True)
    assert "cool off" in only_anna and "ok now" not in only_anna
    only_unlock = public.get("/moderation-log?action=unlock").get_data(as_text=True)
    assert "ok now" in only_unlock and "cool off" not in only_unlock
    assert public.get("/moderation-log?page=zz&moderator=%00").status_code in (200, 400)


@pytest.mark.parametrize(("role", "shown"), [("member", False), ("moderator", True), ("admin", True)])
def test_the_way_to_the_moderation_pages_is_in_every_moderators_menu(app, role, shown):
    page = signed_in(app, make_user(role=role)).get("/stories").get_data(as_text=True)
    assert ('href="/mod/reports"' in page) is shown
    assert 'href="/moderation-log"' in app.test_client().get("/").get_data(as_text=True)  # for everyone


# --- The authorization matrix: every protected route, every kind of visitor -------------------------------------

ROLES = ["anonymous", "member", "author", "moderator", "admin", "banned"]


def visitor(app, role, author):
    if role == "anonymous":
        return app.test_client()
    user = {"member": lambda: make_user(), "author": lambda: author,
            "moderator": lambda: make_user(role="moderator"), "admin": lambda: make_user(role="admin"),
            "banned": lambda: make_user(banned_until=datetime(2999, 1, 1))}[role]()
    return signed_in(app, user)


def snapshot():
    db.session.rollback()
    return (db.session.scalars(sa.select(Story.status).order_by(Story.id)).all(),
            db.session.scalars(sa.select(Story.locked).order_by(Story.id)).all(),
            db.session.scalars(sa.select(User.role).order_by(User.id)).all(),
            db.session.scalar(sa.select(sa.func.count()).select_from(ModAction)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Report)))


# (method, url template, data, expected status per role). 302 for anonymous = sent to sign in.
MATRIX = [
    ("GET", "/mod/reports", {}, {"anonymous": 403, "member": 403, "author": 403, "moderator": 200, "admin": 200,
                                 "banned": 403}),
    ("GET", "/mod/queue", {}, {"anonymous": 403, "member": 403, "author": 403, "moderator": 200, "admin": 200,
                               "banned": 403}),
    ("GET", "/mod/users", {}, {"anonymous": 403, "member": 403, "author": 403, "moderator": 403, "admin": 200,
                               "banned": 403}),
    ("POST", "/mod/story/{story}/remove", {"reason": "r"},
     {"anonymous": 400, "member": 403, "author": 403, "moderator": 302, "admin": 302, "banned": 403}),
    ("POST", "/mod/story/{story}/lock", {"reason": "r"},
     {"anonymous": 400, "member": 403, "author": 403, "moderator": 302, "admin": 302, "banned": 403}),
    ("POST", "/mod/comment/{comment}/remove", {"reason": "r"},
     {"anonymous": 400, "member": 403, "author": 403, "moderator": 302, "admin": 302, "banned": 403}),
    ("GET", "/stories/{story}/edit", {}, {"anonymous": 302, "member": 403, "author": 200, "moderator": 200,
                                          "admin": 200, "banned": 403}),
    ("POST", "/stories/{story}/delete", {}, {"anonymous": 400, "member": 403, "author": 302, "moderator": 403,
                                             "admin": 403, "banned": 403}),
    ("POST", "/report/story/{story}", {"reason": "spam"},
     {"anonymous": 302, "member": 302, "author": 403, "moderator": 302, "admin": 302, "banned": 403}),
    ("GET", "/mod/resources/new", {}, {"anonymous": 403, "member": 403, "author": 403, "moderator": 200, "admin": 200,
                                   "banned": 403}),
    ("GET", "/moderation-log", {}, {role: 200 for role in ROLES}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "data", "expected"), MATRIX,
                         ids=[f"{m} {u}" for m, u, _, _ in MATRIX])
def test_authorization_matrix(app, method, url, data, expected, role):
    author = make_user("the_author")
    story = make_story(author)
    comment = make_comment(story, author)
    client = visitor(app, role, author)
    url = url.format(story=story.id, comment=comment.id)
    before = snapshot()
    if method == "GET":
        response = client.get(url)
    else:
        response = post_form(client, url, data, token_from="/auth/register") if role != "anonymous" else \
            client.post(url, data=data)
    assert response.status_code == expected[role], (role, url, response.status_code)
    if response.status_code not in (200, 302) or method == "GET" or role == "anonymous":
        assert snapshot() == before, "a refused request changed something"
