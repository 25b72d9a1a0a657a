"""The resource catalogue: loading, public pages, and moderators' add, edit and merge."""
import pytest
import sqlalchemy as sa

from forum import catalogue
from forum.extensions import db
from forum.models import ModAction, PracticeScore, Resource, ResourceAlias, StoryResource
from tests.builders import fresh, get_csrf, make_resource, make_story, make_user, post_form, sign_in


def test_catalogue_load_is_idempotent(app):
    first = catalogue.load()
    db.session.commit()
    resources = db.session.scalar(sa.select(sa.func.count()).select_from(Resource))
    aliases = db.session.scalar(sa.select(sa.func.count()).select_from(ResourceAlias))
    second = catalogue.load()
    db.session.commit()
    assert first["created"] == resources >= 40 and second["created"] == 0 and second["updated"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResourceAlias)) == aliases


def test_cli_loads_the_catalogue(app):
    result = app.test_cli_runner().invoke(args=["resources", "load"])
    assert result.exit_code == 0 and "added" in result.output


@pytest.mark.parametrize(("typed", "step", "slug"), [
    ("uw", "step2ck", "uworld-step-2-ck"), ("UWorld", "step1", "uworld-step-1"), ("u-world", "step3", "uworld-step-3"),
    ("First Aid", "step1", "first-aid-step-1"), ("b&b", "step1", "boards-and-beyond"), ("pathoma", "step1", "pathoma"),
])
def test_typed_names_resolve_by_alias_and_step(app, typed, step, slug):
    catalogue.load()
    db.session.commit()
    resource = catalogue.resolve([typed], step)[typed]
    assert resource is not None, typed
    assert resource.slug.startswith(slug.split("-step")[0]) if slug.startswith("first-aid") else resource.slug == slug


def test_catalogue_pages(client):
    resource = make_resource("Pathoma", kind="video")
    resource.description = "Pathology videos and a short book."
    db.session.commit()
    assert "Pathoma" in client.get("/resources").get_data(as_text=True)
    assert "Pathology videos" in client.get("/resources/pathoma").get_data(as_text=True)


@pytest.mark.parametrize(("role", "status"), [("anonymous", 403), ("member", 403), ("moderator", 200),
                                              ("admin", 200)])
def test_only_moderators_edit_the_catalogue(app, role, status):
    resource = make_resource("Pathoma")
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, make_user(role=role if role != "member" else "member"))
    for url in ("/mod/resources/new", f"/mod/resources/{resource.slug}/edit",
                f"/mod/resources/{resource.slug}/merge", "/mod/resources/suggestions"):
        assert client.get(url).status_code == status, url


def test_member_post_to_merge_changes_nothing(client):
    source, target = make_resource("Pathoma"), make_resource("Goljan")
    sign_in(client, make_user())
    response = post_form(client, f"/mod/resources/{source.slug}/merge", {"target": str(target.id), "reason": "dup"},
                         token_from="/")
    assert response.status_code == 403
    assert db.session.get(Resource, source.id) is not None


def test_moderator_adds_and_edits_a_resource(client):
    sign_in(client, make_user(role="moderator"))
    response = post_form(client, "/mod/resources/new", {
        "name": "Archer Review", "slug": "archer-review", "kind": "qbank", "steps": ["step2ck", "step3"],
        "aliases": "archer, archer qbank", "description": "A question bank."})
    assert response.status_code == 302
    resource = db.session.scalar(sa.select(Resource).where(Resource.slug == "archer-review"))
    assert resource.step_codes == ["step2ck", "step3"]
    assert catalogue.resolve(["ARCHER"], "step3")["ARCHER"].id == resource.id
    post_form(client, "/mod/resources/archer-review/edit", {"name": "Archer Review QBank", "slug": "archer-review",
                                                        "kind": "qbank", "steps": ["step3"], "aliases": "",
                                                        "description": ""})
    assert fresh(resource).name == "Archer Review QBank"
    actions = db.session.scalars(sa.select(ModAction.action).order_by(ModAction.id)).all()
    assert actions == ["add_resource", "edit_resource"]


def test_merge_moves_every_link_and_keeps_the_names(client):
    source = make_resource("UW Step 1", slug="uw-step-1-dup", aliases=["uwdup"])
    target = make_resource("UWorld Step 1 QBank", slug="uworld-step-1")
    other = make_resource("Pathoma")
    only_source = make_story(resources=[source, other])
    both = make_story(resources=[source, target])
    db.session.add(PracticeScore(story=only_source, resource=source, score=230,
                                 taken_on=__import__("datetime").date(2025, 5, 1)))
    db.session.commit()
    sign_in(client, make_user(role="moderator"))
    source_id = source.id
    response = post_form(client, f"/mod/resources/{source.slug}/merge", {"target": str(target.id),
                                                                      "reason": "duplicate entry"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Resource, source_id) is None
    links = db.session.execute(sa.select(StoryResource.story_id, StoryResource.resource_id)).all()
    assert sorted(links) == sorted([(only_source.id, target.id), (only_source.id, other.id), (both.id, target.id)])
    assert db.session.scalar(sa.select(PracticeScore.resource_id)) == target.id
    assert catalogue.resolve(["uwdup"], "step1")["uwdup"].id == target.id
    assert fresh(target).story_count == 2
    entry = db.session.scalar(sa.select(ModAction))
    assert (entry.action, entry.reason) == ("merge_resource", "duplicate entry")


def test_rerender_command_rewrites_stale_html(app):
    story = make_story(body="**bold** words that are long enough to count")
    story.body_html = "<p>stale</p>"
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["stories", "rerender"])
    assert result.exit_code == 0 and "1 changed" in result.output
    assert fresh(story).body_html.startswith("<p><strong>bold</strong>")


def test_moderators_see_suggested_names(app):
    story = make_story(title="Used an unknown thing")
    from forum.models import ResourceSuggestion
    db.session.add(ResourceSuggestion(story=story, name="Archer Review", rating=4))
    db.session.commit()
    member, moderator = app.test_client(), app.test_client()
    sign_in(member, make_user())
    sign_in(moderator, make_user(role="moderator"))
    assert member.get("/mod/resources/suggestions").status_code == 403
    body = moderator.get("/mod/resources/suggestions").get_data(as_text=True)
    assert "Archer Review" in body and "Used an unknown thing" in body


@pytest.mark.parametrize(("old", "new"), [("/resources/new", "/mod/resources/new"),
                                          ("/resources/suggestions", "/mod/resources/suggestions"),
                                          ("/resources/pathoma/edit", "/mod/resources/pathoma/edit"),
                                          ("/resources/pathoma/merge", "/mod/resources/pathoma/merge")])
def test_old_catalogue_addresses_redirect_behind_the_moderators_door(client, old, new):
    make_resource("Pathoma")
    for response in (client.get(old + "?from=bookmark"),
                     post_form(client, old + "?from=bookmark", {}, token_from="/auth/register")):
        assert response.status_code == 308, (response.request.method, old)
        assert response.headers["Location"].endswith(new + "?from=bookmark")


def test_a_post_to_an_old_catalogue_address_still_adds_the_resource(client):
    """308 tells the client to send the same POST, body and all, to the new address (as browsers and HTTP
    libraries do; Werkzeug's test client drops the body on a redirect, so the test follows it by hand)."""
    sign_in(client, make_user(role="moderator"))
    data = {"csrf_token": get_csrf(client, "/mod/resources/new"), "name": "Archer Review", "slug": "archer-review",
            "kind": "qbank", "steps": ["step3"]}
    moved = client.post("/resources/new", data=data)
    assert moved.status_code == 308
    response = client.post(moved.headers["Location"], data=data, follow_redirects=True)
    assert response.status_code == 200 and "Archer Review is in the catalogue" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Resource.name).where(Resource.slug == "archer-review")) == "Archer Review"
