"""Writing, reading, editing and deleting stories."""
import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import ModAction, ResourceSuggestion, Revision, Story
from tests.builders import (
    fresh,
    get_csrf,
    make_resource,
    make_story,
    make_user,
    post_form,
    sign_in,
)


@pytest.fixture
def catalogue(app):
    return {
        "uw1": make_resource("UWorld Step 1 QBank", slug="uworld-step-1", aliases=["uworld", "uw"]),
        "uw2": make_resource("UWorld Step 2 CK QBank", slug="uworld-step-2-ck", steps=["step2ck"],
                             aliases=["uworld", "uw"]),
        "amboss": make_resource("AMBOSS", steps=["step1", "step2ck", "step3"]),
        "nbme11": make_resource("NBME CCSSA Form 11", slug="nbme-ccssa-11", kind="self-assessment",
                                steps=["step2ck"], scale="three_digit", aliases=["nbme 11"]),
        "free120": make_resource("USMLE Free 120 (Step 2 CK)", slug="free-120-ck", kind="self-assessment",
                                 steps=["step2ck"], scale="percent", aliases=["free 120"]),
    }


def story_data(catalogue=None, **overrides) -> dict:
    data = {
        "title": "Passed CK after a rough first NBME",
        "step": "step2ck", "exam_month": "2025-06", "attempt": "1", "outcome": "passed", "score": "245",
        "background": "img", "prep_weeks": "8",
        "resources-0-name": "uw", "resources-0-rating": "5", "resources-0-note": "two passes, 68% first pass",
        "resources-1-name": "AMBOSS", "resources-1-rating": "3", "resources-1-note": "",
        "resources-2-name": "", "resources-2-rating": "", "resources-2-note": "",
        "practice-0-assessment": str(catalogue["nbme11"].id) if catalogue else "",
        "practice-0-score": "231" if catalogue else "", "practice-0-taken_on": "2025-05-02" if catalogue else "",
        "practice-1-assessment": "", "practice-1-score": "", "practice-1-taken_on": "",
        "body": "I studied for eight weeks.\n\n**UWorld** was the core; I did *two* passes.",
        "submission_key": "submission-key-1", "publish": "Publish",
    }
    data.update(overrides)
    return data


def publish(client, data):
    return post_form(client, "/stories/new", data)


@pytest.fixture
def writer(client):
    user = make_user("writer", background="img", created_at=datetime(2024, 1, 1))
    sign_in(client, user)
    return user


def test_new_story_form_needs_sign_in(client):
    response = client.get("/stories/new")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_publish_story_with_resources_and_practice_score(client, writer, catalogue):
    response = publish(client, story_data(catalogue))
    assert response.status_code == 302, response.get_data(as_text=True)
    story = db.session.scalar(sa.select(Story))
    assert response.headers["Location"] == f"/stories/{story.id}-passed-ck-after-a-rough-first-nbme"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Step 2 CK · June 2025 · first attempt · passed · 245, passing standard then 214, +31" in page
    assert "UWorld Step 2 CK QBank" in page  # "uw" on a CK story is the CK QBank
    assert "two passes, 68% first pass" in page
    assert "NBME CCSSA Form 11" in page and "<svg" in page
    assert "<strong>UWorld</strong>" in page


def test_alias_matches_ignoring_case_and_unknown_names_become_suggestions(client, writer, catalogue):
    publish(client, story_data(**{"resources-0-name": "UWORLD", "resources-1-name": "My school's review lectures",
                                  "step": "step1", "exam_month": "2023-03", "score": ""}))
    story = db.session.scalar(sa.select(Story))
    links = db.session.execute(sa.text("select resource_id from story_resources")).scalars().all()
    assert links == [catalogue["uw1"].id]
    suggestion = db.session.scalar(sa.select(ResourceSuggestion))
    assert (suggestion.name, suggestion.story_id, suggestion.rating) == ("My school's review lectures", story.id, 3)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"step": "step1", "exam_month": "2023-03", "score": "240"}, "score", "pass/fail"),
    ({"step": "step2cs", "exam_month": "2021-03", "score": ""}, "exam_month", "2"),
    ({"exam_month": "2099-01"}, "exam_month", "still to come"),
    ({"exam_month": "June"}, "exam_month", "year-month"),
    ({"score": "abc"}, "score", "whole number"),
    ({"score": "301"}, "score", "300"),
    ({"prep_weeks": "105"}, "prep_weeks", "104"),
    ({"title": "Hi"}, "title", "5 to 150"),
    ({"body": "short"}, "body", "30 to 60,000"),
    ({"step": ""}, "step", "Choose the step"),
    ({"outcome": ""}, "outcome", "Choose an outcome"),
    ({"attempt": "9"}, "attempt", "Not a valid choice"),
])
def test_broken_rules_are_field_errors_and_keep_the_text(client, writer, catalogue, overrides, field, message):
    response = publish(client, story_data(**overrides))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(rf'id="{field}-error">([^<]*)<', body)
    assert error and message.lower() in error.group(1).lower(), error and error.group(1)
    assert (overrides.get("body") or "I studied for eight weeks.") in body
    assert 'value="two passes, 68% first pass"' in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Story)) == 0


def test_practice_score_is_checked_against_its_scale(client, writer, catalogue):
    data = story_data(catalogue, **{"practice-0-assessment": str(catalogue["free120"].id), "practice-0-score": "231"})
    response = publish(client, data)
    assert response.status_code == 400
    assert 'id="practice-0-score-error"' in response.get_data(as_text=True)
    data["practice-0-score"] = "72.5"
    assert publish(client, data).status_code == 302


def test_resend_with_the_same_submission_key_makes_one_story(client, writer, catalogue):
    first = publish(client, story_data())
    second = publish(client, story_data())
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Story)) == 1


def test_expired_csrf_token_gives_everything_back(client, writer, catalogue):
    response = client.post("/stories/new", data={**story_data(), "csrf_token": "expired-token"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "press the button again" in body
    assert "I studied for eight weeks." in body and 'value="Passed CK after a rough first NBME"' in body
    assert 'value="two passes, 68% first pass"' in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Story)) == 0
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    assert client.post("/stories/new", data={**story_data(), "csrf_token": token}).status_code == 302


def test_signed_out_while_writing_keeps_the_text(app, catalogue):
    client = app.test_client()
    token = get_csrf(client, "/auth/login")
    response = client.post("/stories/new", data={**story_data(), "csrf_token": token})
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert "You were signed out" in body and "I studied for eight weeks." in body


def test_rate_limit_keeps_the_text(client, catalogue):
    user = make_user()  # a new account: 3 stories an hour
    sign_in(client, user)
    for n in range(3):
        response = publish(client, story_data(submission_key=f"submission-key-{n}", title=f"Story number {n}"))
        assert response.status_code == 302
    limited = publish(client, story_data(submission_key="submission-key-9", title="One story too many"))
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "One story too many" in limited.get_data(as_text=True)


def test_preview_renders_without_saving(client, writer, catalogue):
    response = publish(client, {**story_data(), "publish": "", "preview": "Preview"})
    assert response.status_code == 200
    assert "<strong>UWorld</strong>" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Story)) == 0


def test_add_row_buttons_work_without_javascript(client, writer, catalogue):
    response = publish(client, {**story_data(), "publish": "", "add_resource": "Add another resource"})
    assert 'name="resources-3-name"' in response.get_data(as_text=True)
    response = publish(client, {**story_data(), "publish": "", "add_practice": "Add another practice score"})
    assert 'name="practice-2-score"' in response.get_data(as_text=True)


def test_hostile_markdown_is_sanitised(client, writer, catalogue):
    body = "<script>alert(1)</script> [click](javascript:alert(1)) and some more words to pass the minimum"
    publish(client, story_data(body=body))
    story = db.session.scalar(sa.select(Story))
    page = client.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as the text it was
    assert 'href="javascript' not in page.lower()


def test_wrong_or_missing_slug_redirects_permanently(client):
    story = make_story(title="A good title")
    for url in (f"/stories/{story.id}", f"/stories/{story.id}-old-title"):
        response = client.get(url)
        assert response.status_code == 301
        assert response.headers["Location"] == f"/stories/{story.id}-a-good-title"
    assert client.get("/stories/999999-x").status_code == 404


def test_author_edits_and_the_old_text_is_kept(client, writer, catalogue):
    publish(client, story_data())
    story = db.session.scalar(sa.select(Story))
    edit = client.get(f"/stories/{story.id}/edit").get_data(as_text=True)
    assert "I studied for eight weeks." in edit and 'value="UWorld Step 2 CK QBank"' in edit
    response = post_form(client, f"/stories/{story.id}/edit",
                         story_data(title="Passed CK: the full version", body="A longer, better story " * 3))
    assert response.status_code == 302
    assert fresh(story).title == "Passed CK: the full version" and story.edited_at is not None
    revision = db.session.scalar(sa.select(Revision))
    assert revision.title == "Passed CK after a rough first NBME"
    history = client.get(f"/stories/{story.id}/revisions").get_data(as_text=True)
    assert "I studied for eight weeks." in history
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModAction)) == 0


@pytest.mark.parametrize(("role", "status"), [("anonymous", 302), ("member", 403), ("banned_author", 403),
                                              ("author", 200), ("moderator", 200)])
def test_who_may_open_the_edit_form(app, role, status):
    author = make_user("author_x")
    story = make_story(author)
    client = app.test_client()
    if role == "member":
        sign_in(client, make_user())
    elif role == "author":
        sign_in(client, author)
    elif role == "banned_author":
        author.banned_until = datetime(2999, 1, 1)
        db.session.commit()
        sign_in(client, author)
    elif role == "moderator":
        sign_in(client, make_user(role="moderator"))
    assert client.get(f"/stories/{story.id}/edit").status_code == status


def test_member_cannot_post_an_edit_to_someone_elses_story(client, catalogue):
    story = make_story(title="Original title")
    sign_in(client, make_user())
    response = post_form(client, f"/stories/{story.id}/edit", story_data(title="Defaced"), token_from="/")
    assert response.status_code == 403
    assert fresh(story).title == "Original title"


def test_moderator_edit_is_logged(client, catalogue):
    story = make_story(title="Original title")
    sign_in(client, make_user("mod", role="moderator"))
    post_form(client, f"/stories/{story.id}/edit", story_data(title="Title without exam content"))
    entry = db.session.scalar(sa.select(ModAction))
    assert (entry.action, entry.target_id) == ("edit_story", story.id)


def test_author_deletes_softly(app, catalogue):
    author = make_user()
    story = make_story(author, title="Soon deleted")
    client = app.test_client()
    sign_in(client, author)
    assert client.post(f"/stories/{story.id}/delete").status_code == 400  # no CSRF token
    response = post_form(client, f"/stories/{story.id}/delete", {}, token_from="/")
    assert response.status_code == 302
    assert fresh(story).status == "deleted"
    anonymous = app.test_client().get(f"/stories/{story.id}-{story.slug}")
    assert anonymous.status_code == 410 and "deleted by its author" in anonymous.get_data(as_text=True)
    moderator = app.test_client()
    sign_in(moderator, make_user(role="moderator"))
    assert "Soon deleted" in moderator.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)
    assert "Soon deleted" not in app.test_client().get("/stories").get_data(as_text=True)


def test_other_member_cannot_delete(client):
    story = make_story()
    sign_in(client, make_user())
    assert post_form(client, f"/stories/{story.id}/delete", {}, token_from="/").status_code == 403
    assert fresh(story).status == "published"


def test_banned_user_cannot_open_the_story_form(client):
    user = make_user(banned_until=datetime(2999, 1, 1))
    sign_in(client, user)
    assert client.get("/stories/new").status_code == 403


def test_removed_story_shows_the_removal_notice_to_the_public(client):
    story = make_story(status="removed", status_reason="shared recalled exam questions")
    response = client.get(f"/stories/{story.id}-{story.slug}")
    assert response.status_code == 410
    body = response.get_data(as_text=True)
    assert "removed by a moderator: shared recalled exam questions" in body
    assert story.body not in body


@pytest.mark.parametrize("url", ["/stories/{big}", "/stories/{big}-a-slug", "/stories/{big}/revisions",
                                 "/comments/{big}", "/api/v1/stories/{big}"])
def test_an_id_too_large_for_the_database_is_a_404(client, url):
    """Flask's int converter takes any length; the database's integer does not (an overflow, not a 404)."""
    assert client.get(url.format(big=2**70)).status_code == 404
