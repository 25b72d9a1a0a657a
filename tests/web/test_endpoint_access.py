"""Who may reach every endpoint, as a table: a new route fails here until someone decides who it is for.

Moderator and admin pages live under /mod, where the blueprint's one guard (forum/mod/__init__.py) refuses
everyone else before a view runs; this file proves that for every such endpoint and method, for an anonymous
visitor, a member and a banned moderator, and that the refusal changes nothing. Finer rules inside pages that
several roles reach (who may edit which story, who may vote) are specified in test_moderation.MATRIX and the
feature tests.
"""
from datetime import datetime

import pytest
import sqlalchemy as sa

from forum import create_app
from forum.extensions import db
from forum.models import Feature, Hub, ModAction, Report, Resource, Revision, ScoreReport, Story, User
from tests.builders import get_csrf, make_comment, make_resource, make_story, make_user, sign_in

PUBLIC, MEMBER, MODERATOR, ADMIN = "public", "member", "moderator", "admin"

# Every endpoint of the app, and who it is for. "member" pages send a visitor to sign in or refuse them;
# "moderator" and "admin" pages are under /mod, behind the one guard.
ACCESS = {
    "static": PUBLIC, "health.healthz": PUBLIC, "health.readyz": PUBLIC, "sitemap.sitemap": PUBLIC,
    "hubs.home": PUBLIC, "hubs.step": PUBLIC,
    "stories.index": PUBLIC, "stories.show": PUBLIC, "stories.revisions": PUBLIC, "stories.search_page": PUBLIC,
    "comments.permalink": PUBLIC, "comments.revisions": PUBLIC,
    "resources.index": PUBLIC, "resources.show": PUBLIC,
    # the catalogue's old editing addresses: a 308 to /mod/resources/..., where the guard decides
    "resources.moved_add_resource": PUBLIC, "resources.moved_edit_resource": PUBLIC,
    "resources.moved_merge_resource": PUBLIC, "resources.moved_resource_suggestions": PUBLIC,
    "users.profile": PUBLIC, "insights.index": PUBLIC, "insights.download": PUBLIC, "moderation.log": PUBLIC,
    "insights.predict": PUBLIC,  # "Fill in from my story" (mine=) is the member's own story only: test_predict.py
    "feeds.stories": PUBLIC, "feeds.step": PUBLIC, "feeds.resource": PUBLIC, "feeds.user": PUBLIC,
    "api.openapi": PUBLIC, "api.stories": PUBLIC, "api.story": PUBLIC, "api.search_stories": PUBLIC,
    "api.resources": PUBLIC, "api.calibrations": PUBLIC, "api.predict": PUBLIC, "api_docs.reference": PUBLIC,
    "auth.login": PUBLIC, "auth.register": PUBLIC, "auth.reset_request": PUBLIC, "auth.reset_password": PUBLIC,
    "auth.sign_in_link": PUBLIC, "users.confirm_email": PUBLIC,
    "users.unsubscribe": PUBLIC,  # the signed token in the address is the authority: tests/web/test_following.py
    "auth.logout": MEMBER,
    "stories.new": MEMBER, "stories.edit": MEMBER, "stories.delete": MEMBER, "stories.vote": MEMBER,
    "stories.save": MEMBER,
    # the author's score report upload: 403 for everyone else (tests/web/test_verification.py)
    "stories.verify": MEMBER, "stories.withdraw_verification": MEMBER,
    "stories.journey": MEMBER,  # the author only (403 for everyone else): tests/web/test_journeys.py
    "comments.create": MEMBER, "comments.reply": MEMBER, "comments.edit": MEMBER, "comments.delete": MEMBER,
    "comments.vote": MEMBER, "moderation.report": MEMBER,
    "users.settings": MEMBER, "users.update_profile": MEMBER, "users.change_email": MEMBER,
    "users.change_password": MEMBER, "users.notifications_page": MEMBER, "users.mark_notifications_read": MEMBER,
    "users.saved": MEMBER, "users.sign_out_everywhere": MEMBER,
    "following.follow": MEMBER, "following.index": MEMBER,
    "mod.reports": MODERATOR, "mod.queue": MODERATOR, "mod.act": MODERATOR, "mod.feature_story": MODERATOR,
    "mod.move_feature": MODERATOR, "mod.unfeature": MODERATOR, "mod.edit_hub": MODERATOR,
    "mod.add_resource": MODERATOR, "mod.edit_resource": MODERATOR, "mod.merge_resource": MODERATOR,
    "mod.resource_suggestions": MODERATOR, "mod.merge_suggestion": MODERATOR,
    "mod.revision_visibility": MODERATOR,
    "mod.verifications": MODERATOR, "mod.review_verification": MODERATOR, "mod.verification_file": MODERATOR,
    "mod.decide_verification": MODERATOR,
    "mod.users": ADMIN, "mod.bans": MODERATOR, "mod.unban": MODERATOR,
}

_app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 40, "TESTING": True})
RULES = [(rule.endpoint, rule.rule, method) for rule in _app.url_map.iter_rules()
         for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
GUARDED = [(endpoint, rule, method) for endpoint, rule, method in RULES if ACCESS.get(endpoint) in (MODERATOR, ADMIN)]


def test_every_endpoint_is_in_the_table():
    endpoints = {endpoint for endpoint, _, _ in RULES}
    assert endpoints - ACCESS.keys() == set(), "decide who these are for and add them to ACCESS"
    assert ACCESS.keys() - endpoints == set(), "these endpoints no longer exist"


def test_moderator_pages_and_only_they_are_behind_the_one_door():
    for endpoint, rule, _ in RULES:
        behind_door = rule.startswith("/mod/")
        assert behind_door == (ACCESS[endpoint] in (MODERATOR, ADMIN)), (endpoint, rule)
    guards = _app.before_request_funcs.get("mod", [])
    assert [guard.__name__ for guard in guards] == ["require_moderator"]


def url_for_rule(rule: str, ids: dict) -> str:
    """Fill a rule's variables with rows that exist, so a view that ran would find its object."""
    values = {"story_id": ids["story"], "comment_id": ids["comment"], "feature_id": ids["feature"],
              "target_type": "story", "target_id": ids["story"], "action": "remove",
              "slug": "home" if "/hubs/" in rule else ids["slug"]}
    values["revision_id"] = ids["revision"]
    values["report_id"] = ids["report"]
    values["user_id"] = 1  # behind the door: refused before the view would look for them
    values["suggestion_id"] = 1  # behind the door: refused before the view would look for it
    url = rule.replace("<any(hide, unhide):action>", "hide")
    for name, value in values.items():
        for converter in ("<int:", "<any(story, comment):", "<"):
            url = url.replace(f"{converter}{name}>", str(value))
    assert "<" not in url, url
    return url


def snapshot():
    db.session.rollback()
    counted = (Story, User, Resource, Feature, Hub, ModAction, Report, ScoreReport)
    return ([db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in counted],
            db.session.scalars(sa.select(Story.status).order_by(Story.id)).all(),
            db.session.scalars(sa.select(User.role).order_by(User.id)).all(),
            db.session.scalars(sa.select(Resource.name).order_by(Resource.id)).all())


@pytest.fixture
def rows(app):
    story = make_story(make_user("the_author"))
    comment = make_comment(story)
    resource = make_resource("Pathoma")
    hub = Hub(slug="home", title="Home", intro="")
    db.session.add(hub)
    db.session.flush()
    feature = Feature(hub_id=hub.id, story_id=story.id, position=1, headline="A headline", teaser="A teaser")
    db.session.add(feature)
    db.session.commit()
    revision = Revision(item_type="story", item_id=story.id, title=story.title, body="An earlier version.",
                        editor_id=story.author_id)
    db.session.add(revision)
    db.session.commit()
    report = ScoreReport(story_id=story.id, uploader_id=story.author_id, filename="report.pdf",
                         content_type="application/pdf", size=9, content=b"%PDF-1.7\n")
    db.session.add(report)
    db.session.commit()
    return {"story": story.id, "comment": comment.id, "feature": feature.id, "slug": resource.slug,
            "revision": revision.id, "report": report.id}


def client_as(app, who: str):
    client = app.test_client()
    user = {"member": lambda: make_user("plain_member"),
            "banned moderator": lambda: make_user("banned_mod", role="moderator", banned_until=datetime(2999, 1, 1)),
            "banned admin": lambda: make_user("banned_admin", role="admin", banned_until=datetime(2999, 1, 1)),
            "moderator": lambda: make_user("a_moderator", role="moderator"),
            "admin": lambda: make_user("an_admin", role="admin")}.get(who)
    if user is not None:
        sign_in(client, user())
    return client


def request_as(client, method: str, url: str):
    """A GET, or a POST carrying a valid CSRF token and valid fields, so that only authorization can refuse it."""
    if method == "GET":
        return client.get(url)
    token = get_csrf(client, "/auth/register")
    return client.post(url, data={"csrf_token": token, "reason": "testing the door", "name": "Changed",
                                  "slug": "changed", "kind": "book", "target": "1", "hub": "home", "value": "1",
                                  "body": "A comment long enough to be valid."})


@pytest.mark.parametrize("who", ["anonymous", "member", "banned moderator", "banned admin"])
@pytest.mark.parametrize(("endpoint", "rule", "method"), GUARDED, ids=[f"{m} {r}" for _, r, m in GUARDED])
def test_the_door_refuses_everyone_but_moderators(app, rows, who, endpoint, rule, method):
    client = client_as(app, who)
    before = snapshot()
    response = request_as(client, method, url_for_rule(rule, rows))
    assert response.status_code == 403, (who, method, rule, response.status_code)
    assert snapshot() == before, "a refused request changed something"


@pytest.mark.parametrize(("endpoint", "rule", "method"), [g for g in GUARDED if g[2] == "GET"],
                         ids=[r for _, r, m in GUARDED if m == "GET"])
def test_the_door_lets_the_right_role_in(app, rows, endpoint, rule, method):
    url = url_for_rule(rule, rows)
    moderator_status = client_as(app, "moderator").get(url).status_code
    assert moderator_status == (200 if ACCESS[endpoint] == MODERATOR else 403), (rule, moderator_status)
    assert client_as(app, "admin").get(url).status_code == 200, rule


MEMBER_RULES = [(e, r, m) for e, r, m in RULES if ACCESS[e] == MEMBER]


@pytest.mark.parametrize(("endpoint", "rule", "method"), MEMBER_RULES, ids=[f"{m} {r}" for _, r, m in MEMBER_RULES])
def test_member_pages_turn_a_visitor_away(app, rows, endpoint, rule, method):
    """Sent to sign in (302 to /auth/login), told to (401), or refused (403); never served, and nothing changes."""
    before = snapshot()
    response = request_as(app.test_client(), method, url_for_rule(rule, rows))
    assert response.status_code in (302, 401, 403), (method, rule, response.status_code)
    if response.status_code == 302:
        assert "/auth/login" in response.headers["Location"], response.headers["Location"]
    assert snapshot() == before
