"""Issue 14, items 1 and 4 and the edit limit: a preview is checked before any Markdown is rendered; edits have an
hourly allowance; a moderator can hide a version of a story from everyone but moderators."""
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import has_request_context, request

from forum import markup
from forum.extensions import db
from forum.models import ModAction, Revision, Story
from forum.posting_limits import EDIT_LIMIT, PREVIEW_LIMIT
from forum.stories.forms import BODY_MAX
from tests.builders import fresh, make_story, make_user, post_form, sign_in
from tests.web.test_stories import story_data

BANNED = datetime(2999, 1, 1)
SECRET = "The recalled question was about a 34-year-old with flank pain."


@pytest.fixture
def renders(monkeypatch):
    """Every Markdown text rendered by a POST while the test runs, in order (the GET that fetches a form's token
    may render a page's own text)."""
    sources = []
    render = markup.render

    def recording_render(source, *args, **kwargs):
        if has_request_context() and request.method == "POST":
            sources.append(source)
        return render(source, *args, **kwargs)

    monkeypatch.setattr(markup, "render", recording_render)
    return sources


def preview_data(**fields) -> dict:
    """What the Preview button sends for a half-written story: nothing but a body."""
    return {"title": "", "step": "", "outcome": "", "body": "# Draft\n\nWhat **helped** most.", "preview": "Preview",
            **fields}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- preview: checked before it renders ------------------------------------------------------------------------


def test_an_anonymous_preview_is_refused_before_anything_is_rendered(client, renders):
    response = post_form(client, "/stories/new", preview_data(body="| a |\n|--|\n" + "| 1 |\n" * 5_000),
                         token_from="/auth/login")
    assert response.status_code == 401
    assert "You were signed out" in response.get_data(as_text=True)
    assert renders == []


def test_a_banned_members_preview_is_refused_before_anything_is_rendered(client, renders):
    sign_in(client, make_user(banned_until=BANNED))
    response = post_form(client, "/stories/new", preview_data(), token_from="/")
    assert response.status_code == 403
    assert "What **helped** most." in response.get_data(as_text=True)  # the text comes back
    assert renders == []


def test_a_preview_longer_than_a_story_may_be_is_refused_before_rendering(client, renders):
    sign_in(client, make_user())
    response = post_form(client, "/stories/new", preview_data(body="x" * (BODY_MAX + 1)))
    assert response.status_code == 400
    assert f"Write at most {BODY_MAX:,} characters" in response.get_data(as_text=True)
    assert renders == []


def test_a_half_written_story_can_be_previewed(client, renders):
    sign_in(client, make_user())
    response = post_form(client, "/stories/new", preview_data())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h2>Draft</h2>" in page and "<strong>helped</strong>" in page
    assert renders == ["# Draft\n\nWhat **helped** most."]
    assert count(Story) == 0


def test_previews_do_not_spend_the_story_allowance(client):
    sign_in(client, make_user())  # a new account: 3 stories an hour
    for _ in range(10):
        assert post_form(client, "/stories/new", preview_data()).status_code == 200
    for n in range(3):
        response = post_form(client, "/stories/new", story_data(submission_key=f"submission-key-{n}",
                                                                title=f"Story number {n}"))
        assert response.status_code == 302
    assert count(Story) == 3


def test_previews_past_their_limit_get_429_with_the_text_kept(client, renders):
    sign_in(client, make_user())
    for _ in range(PREVIEW_LIMIT.amount):
        assert post_form(client, "/stories/new", preview_data()).status_code == 200
    rendered = len(renders)
    refused = post_form(client, "/stories/new", preview_data(body="One preview too many, kept here."))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "One preview too many, kept here." in refused.get_data(as_text=True)
    assert len(renders) == rendered


def test_someone_elses_story_cannot_be_previewed_through_its_edit_form(client, renders):
    story = make_story()
    sign_in(client, make_user())
    response = post_form(client, f"/stories/{story.id}/edit", preview_data(), token_from="/")
    assert response.status_code == 403
    assert renders == []


def test_an_edit_preview_longer_than_a_story_may_be_is_refused_before_rendering(client, renders):
    author = make_user()
    story = make_story(author)
    sign_in(client, author)
    response = post_form(client, f"/stories/{story.id}/edit", preview_data(body="x" * (BODY_MAX + 1)))
    assert response.status_code == 400
    assert renders == []


def test_an_edit_preview_shares_the_preview_limit(client):
    author = make_user()
    story = make_story(author)
    sign_in(client, author)
    for _ in range(PREVIEW_LIMIT.amount):
        assert post_form(client, "/stories/new", preview_data()).status_code == 200
    response = post_form(client, f"/stories/{story.id}/edit", preview_data())
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


# --- edits: an hourly allowance --------------------------------------------------------------------------------


def test_edits_past_the_hourly_limit_get_429_with_everything_typed(client):
    author = make_user()
    story = make_story(author)
    sign_in(client, author)
    for n in range(EDIT_LIMIT.amount):
        response = post_form(client, f"/stories/{story.id}/edit", story_data(body=f"Version {n} of my story, long "
                                                                                   "enough to publish."))
        assert response.status_code == 302
    refused = post_form(client, f"/stories/{story.id}/edit", story_data(body="One edit too many, kept right here."))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "One edit too many, kept right here." in refused.get_data(as_text=True)
    assert fresh(story).body == f"Version {EDIT_LIMIT.amount - 1} of my story, long enough to publish."


def test_an_edit_that_fails_validation_does_not_spend_the_allowance(client):
    author = make_user()
    story = make_story(author)
    sign_in(client, author)
    for _ in range(EDIT_LIMIT.amount + 1):
        assert post_form(client, f"/stories/{story.id}/edit", story_data(title="")).status_code == 400
    assert post_form(client, f"/stories/{story.id}/edit", story_data()).status_code == 302


# --- redactions --------------------------------------------------------------------------------------------------


@pytest.fixture
def redacted(app):
    """A story whose earlier version a moderator hid."""
    author = make_user("the_author")
    moderator = make_user("the_moderator", role="moderator")
    story = make_story(author, body="The story as it stands now, without the question.")
    revision = Revision(item_type="story", item_id=story.id, title=story.title, body=SECRET, editor_id=moderator.id,
                        hidden_at=datetime(2026, 3, 2, 9, 30), hidden_by_id=moderator.id,
                        hidden_reason="recalled exam question")
    db.session.add(revision)
    story.edited_at = datetime(2026, 3, 2, 9, 30)
    db.session.commit()
    return story


@pytest.mark.parametrize("who", ["anonymous", "member", "author", "banned moderator"])
def test_a_hidden_version_is_not_in_the_history_for_readers(app, redacted, who):
    client = app.test_client()
    if who == "member":
        sign_in(client, make_user())
    elif who == "author":
        sign_in(client, "the_author")
    elif who == "banned moderator":
        sign_in(client, make_user(role="moderator", banned_until=BANNED))
    page = client.get(f"/stories/{redacted.id}/revisions").get_data(as_text=True)
    assert SECRET not in page and "flank pain" not in page
    assert "A version hidden by a moderator on" in page


def test_a_moderator_sees_a_hidden_version_and_why(app, redacted):
    client = app.test_client()
    sign_in(client, make_user(role="moderator"))
    page = client.get(f"/stories/{redacted.id}/revisions").get_data(as_text=True)
    assert SECRET in page
    assert "Hidden from readers by the_moderator" in page and "recalled exam question" in page
    assert "Show to readers again" in page


def moderator_edit(client, story, **fields):
    return post_form(client, f"/stories/{story.id}/edit", story_data(body="The story without the question, as "
                                                                          "edited by a moderator.", **fields))


@pytest.fixture
def edited_twice(app):
    """A story its author has edited once: two versions hold the question."""
    author = make_user("the_author")
    story = make_story(author, body=SECRET + " The first version.")
    db.session.add(Revision(item_type="story", item_id=story.id, title=story.title, body=SECRET + " The original.",
                            editor_id=author.id))
    db.session.commit()
    return story


def test_the_moderator_edit_form_offers_the_box_ticked(client, edited_twice):
    sign_in(client, make_user(role="moderator"))
    page = client.get(f"/stories/{edited_twice.id}/edit").get_data(as_text=True)
    assert "Hide the replaced version from readers" in page
    assert 'checked id="hide_replaced" name="hide_replaced" type="checkbox" value="y"' in page


def test_the_author_edit_form_has_no_box(client, edited_twice):
    sign_in(client, "the_author")
    assert "Hide the replaced version" not in client.get(f"/stories/{edited_twice.id}/edit").get_data(as_text=True)


def test_a_moderator_edit_hides_every_replaced_version_by_default(app, edited_twice):
    moderator = make_user(role="moderator")
    client = app.test_client()
    sign_in(client, moderator)
    assert moderator_edit(client, edited_twice, hide_replaced="y", reason="recalled exam question").status_code == 302
    revisions = db.session.scalars(sa.select(Revision).where(Revision.item_id == edited_twice.id)).all()
    assert len(revisions) == 2 and all(r.is_hidden and r.hidden_by_id == moderator.id for r in revisions)
    assert {r.hidden_reason for r in revisions} == {"recalled exam question"}
    hides = db.session.scalars(sa.select(ModAction).where(ModAction.action == "hide_revision")).all()
    assert sorted(h.target_id for h in hides) == sorted(r.id for r in revisions)
    reader = app.test_client()
    assert SECRET not in reader.get(f"/stories/{edited_twice.id}/revisions").get_data(as_text=True)
    log = reader.get("/moderation-log").get_data(as_text=True)
    assert f"revision #{revisions[0].id}" in log and "flank pain" not in log


def test_the_hide_reason_defaults_to_the_edit_reason(client, edited_twice):
    sign_in(client, make_user(role="moderator"))
    moderator_edit(client, edited_twice, hide_replaced="y")
    assert {r.hidden_reason for r in db.session.scalars(sa.select(Revision))} == {"edited by a moderator"}


def test_unticking_the_box_keeps_the_replaced_versions_public(app, edited_twice):
    client = app.test_client()
    sign_in(client, make_user(role="moderator"))
    assert moderator_edit(client, edited_twice).status_code == 302  # an unticked box sends nothing
    assert not any(r.is_hidden for r in db.session.scalars(sa.select(Revision)))
    assert SECRET in app.test_client().get(f"/stories/{edited_twice.id}/revisions").get_data(as_text=True)


def test_an_author_cannot_hide_the_versions_of_their_own_story(client, edited_twice):
    sign_in(client, "the_author")
    post_form(client, f"/stories/{edited_twice.id}/edit", story_data(hide_replaced="y"))
    assert not any(r.is_hidden for r in db.session.scalars(sa.select(Revision)))


def test_an_edit_that_changes_nothing_stores_no_revision(client, edited_twice):
    sign_in(client, make_user(role="moderator"))
    post_form(client, f"/stories/{edited_twice.id}/edit",
              story_data(title=edited_twice.title, body=edited_twice.body, background="", hide_replaced="y",
                         **{"resources-0-name": "", "resources-1-name": ""}))
    assert count(Revision) == 1 and not db.session.scalar(sa.select(Revision)).is_hidden


def hide(client, revision_id: int, reason: str = "personal data", action: str = "hide"):
    return post_form(client, f"/mod/revisions/{revision_id}/{action}", {"reason": reason}, token_from="/")


def test_a_moderator_hides_a_version_and_it_is_logged_by_number(app, edited_twice):
    client = app.test_client()
    sign_in(client, make_user(role="moderator"))
    revision = db.session.scalar(sa.select(Revision))
    response = hide(client, revision.id)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#revision-{revision.id}")
    assert fresh(revision).is_hidden and revision.hidden_reason == "personal data"
    entry = db.session.scalar(sa.select(ModAction))
    assert (entry.action, entry.target_type, entry.target_id, entry.target_label, entry.reason) == \
        ("hide_revision", "revision", revision.id, "", "personal data")
    assert f"revision #{revision.id}" in app.test_client().get("/moderation-log").get_data(as_text=True)


def test_a_moderator_shows_a_hidden_version_again_and_it_is_logged(client, redacted):
    sign_in(client, make_user(role="moderator"))
    revision = db.session.scalar(sa.select(Revision))
    assert hide(client, revision.id, reason="not a recalled question after all", action="unhide").status_code == 302
    assert not fresh(revision).is_hidden
    assert db.session.scalar(sa.select(ModAction.action)) == "unhide_revision"


def test_hiding_needs_a_reason(client, edited_twice):
    sign_in(client, make_user(role="moderator"))
    revision = db.session.scalar(sa.select(Revision))
    hide(client, revision.id, reason="")
    assert not fresh(revision).is_hidden and count(ModAction) == 0


@pytest.mark.parametrize("who", ["member", "author", "banned moderator"])
def test_only_moderators_may_hide_a_version(app, edited_twice, who):
    client = app.test_client()
    sign_in(client, {"member": lambda: make_user(), "author": lambda: "the_author",
                     "banned moderator": lambda: make_user(role="moderator", banned_until=BANNED)}[who]())
    revision = db.session.scalar(sa.select(Revision))
    assert hide(client, revision.id).status_code == 403
    assert not fresh(revision).is_hidden and count(ModAction) == 0


def test_hiding_a_missing_version_is_a_404(client):
    sign_in(client, make_user(role="moderator"))
    assert hide(client, 999_999).status_code == 404
    assert post_form(client, f"/mod/revisions/{2**40}/hide", {"reason": "x"}, token_from="/").status_code == 404


def test_a_member_cannot_see_the_hide_forms(client, edited_twice):
    sign_in(client, make_user())
    assert "Hide from readers" not in client.get(f"/stories/{edited_twice.id}/revisions").get_data(as_text=True)

