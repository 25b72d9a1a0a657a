"""A resource the catalogue does not know is kept as typed: on the story, through every edit, and onto the catalogue
entry when a moderator adds it or merges it into one that exists."""
from datetime import datetime

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import ModAction, ResourceSuggestion, Story, StoryResource
from tests.builders import fresh, make_resource, make_user, post_form, sign_in

ZEBRA = "Zebra Notes"


def story_data(**overrides) -> dict:
    data = {
        "title": "Passed Step 1 with a set of notes nobody knows",
        "step": "step1", "exam_month": "2024-06", "attempt": "1", "outcome": "passed", "score": "",
        "background": "us_md", "prep_weeks": "6",
        "resources-0-name": "Pathoma", "resources-0-rating": "5", "resources-0-note": "",
        "resources-1-name": ZEBRA, "resources-1-rating": "4", "resources-1-note": "a friend's summary sheets",
        "resources-2-name": "", "resources-2-rating": "", "resources-2-note": "",
        "practice-0-assessment": "", "practice-0-score": "", "practice-0-taken_on": "",
        "body": "Six weeks of dedicated study, Pathoma first and my friend's notes every evening.",
        "submission_key": "typed-resource-key", "publish": "Publish",
    }
    data.update(overrides)
    return data


@pytest.fixture
def pathoma(app):
    return make_resource("Pathoma", slug="pathoma", kind="video", steps=["step1"])


@pytest.fixture
def story(client, pathoma):
    sign_in(client, make_user("zebra_writer", created_at=datetime(2024, 1, 1)))
    response = post_form(client, "/stories/new", story_data())
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(sa.select(Story))


def page_of(client, story) -> str:
    return client.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)


def test_an_unknown_resource_shows_on_the_story_as_typed_with_its_rating_and_note(client, story):
    page = page_of(client, story)
    assert ZEBRA in page and "not in our catalogue yet" in page
    assert "a friend&#39;s summary sheets" in page and 'aria-label="Helpfulness 4 of 5"' in page
    assert page.index("Pathoma") < page.index(ZEBRA)  # in the order the writer gave


def test_the_edit_form_offers_the_typed_name_again_in_its_place(client, story):
    form = client.get(f"/stories/{story.id}/edit").get_data(as_text=True)
    assert f'name="resources-1-name" type="text" value="{ZEBRA}"' in form or \
        (f'value="{ZEBRA}"' in form and 'id="resources-1-name"' in form)


def test_editing_only_the_title_keeps_the_typed_resource(client, story):
    before = db.session.scalar(sa.select(ResourceSuggestion))
    response = post_form(client, f"/stories/{story.id}/edit",
                         story_data(title="A new title for the same story"))
    assert response.status_code == 302, response.get_data(as_text=True)
    kept = db.session.scalars(sa.select(ResourceSuggestion)).all()
    assert [(s.id, s.name, s.rating, s.note, s.resolved) for s in kept] == [
        (before.id, ZEBRA, 4, "a friend's summary sheets", False)]
    assert ZEBRA in page_of(client, fresh(story))


def test_taking_the_name_out_of_the_story_drops_it(client, story):
    post_form(client, f"/stories/{story.id}/edit", story_data(**{"resources-1-name": ""}))
    assert db.session.scalars(sa.select(ResourceSuggestion)).all() == []


def test_a_typed_name_is_found_by_search(client, story):
    assert ZEBRA.split()[0].lower() in fresh(story).search_extra.lower()


@pytest.fixture
def moderator(app):
    client = app.test_client()
    sign_in(client, make_user("a_moderator", role="moderator"))
    return client


def test_adding_the_resource_moves_the_typed_name_onto_it(client, story, moderator):
    response = post_form(moderator, "/mod/resources/new", {
        "name": ZEBRA, "slug": "zebra-notes", "kind": "book", "steps": "step1", "scale": "",
        "description": "Summary sheets.", "aliases": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()
    link = db.session.scalar(sa.select(StoryResource).where(StoryResource.story_id == story.id,
                                                            StoryResource.position == 1))
    assert (link.resource.name, link.rating, link.note) == (ZEBRA, 4, "a friend's summary sheets")
    assert db.session.scalar(sa.select(ResourceSuggestion.resolved)) is True
    page = page_of(client, fresh(story))
    assert 'href="/resources/zebra-notes"' in page and "not in our catalogue yet" not in page


def test_merging_the_typed_name_into_a_resource_links_it_and_keeps_the_name_as_an_alias(client, story, moderator):
    notes = make_resource("Friend's Notes", slug="friends-notes", kind="book", steps=["step1"])
    suggestion = db.session.scalar(sa.select(ResourceSuggestion))
    page = moderator.get("/mod/resources/suggestions").get_data(as_text=True)
    assert ZEBRA in page and f"/mod/resources/suggestions/{suggestion.id}/merge" in page
    response = post_form(moderator, f"/mod/resources/suggestions/{suggestion.id}/merge",
                         {"target": str(notes.id), "reason": "the same notes"}, token_from="/mod/resources/suggestions")
    assert response.status_code == 302
    db.session.rollback()
    link = db.session.scalar(sa.select(StoryResource).where(StoryResource.resource_id == notes.id))
    assert (link.story_id, link.rating, link.note) == (story.id, 4, "a friend's summary sheets")
    assert db.session.scalar(sa.select(ModAction.action).order_by(ModAction.id.desc())) == "merge_suggestion"
    # a later story typing the same name links the resource at once
    assert "zebranotes" in {a.alias_key for a in fresh(notes).aliases}


def test_merging_needs_a_reason_and_changes_nothing_without_one(client, story, moderator):
    notes = make_resource("Friend's Notes", slug="friends-notes", kind="book", steps=["step1"])
    suggestion = db.session.scalar(sa.select(ResourceSuggestion))
    response = post_form(moderator, f"/mod/resources/suggestions/{suggestion.id}/merge",
                         {"target": str(notes.id), "reason": ""}, token_from="/mod/resources/suggestions")
    assert response.status_code == 303
    assert db.session.scalar(sa.select(ResourceSuggestion.resolved)) is False


def test_merging_into_a_resource_the_story_already_links_keeps_that_link(client, story, moderator, pathoma):
    suggestion = db.session.scalar(sa.select(ResourceSuggestion))
    post_form(moderator, f"/mod/resources/suggestions/{suggestion.id}/merge",
              {"target": str(pathoma.id), "reason": "same thing"}, token_from="/mod/resources/suggestions")
    db.session.rollback()
    links = db.session.execute(sa.select(StoryResource.resource_id, StoryResource.rating)
                               .where(StoryResource.story_id == story.id)).all()
    assert links == [(pathoma.id, 5)]


def test_a_resolved_suggestion_is_gone_from_the_merge_action(client, story, moderator, pathoma):
    suggestion = db.session.scalar(sa.select(ResourceSuggestion))
    url = f"/mod/resources/suggestions/{suggestion.id}/merge"
    post_form(moderator, url, {"target": str(pathoma.id), "reason": "same"}, token_from="/mod/resources/suggestions")
    again = post_form(moderator, url, {"target": str(pathoma.id), "reason": "same"},
                      token_from="/mod/resources/suggestions")
    assert again.status_code == 404
