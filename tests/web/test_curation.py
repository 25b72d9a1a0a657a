"""The curated hubs: featured cards in moderator order, end dates, the moderators' tools and their log lines."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import curation
from forum.extensions import db
from forum.models import Feature, Hub, ModAction, utcnow
from tests.builders import fresh, make_story, make_user, post_form, sign_in

LONG_BODY = ("I booked the exam for June and gave myself eight weeks of dedicated time. "
             "UWorld was the core of it, two passes, and I reviewed every explanation twice. "
             "The NBME forms told me where I stood better than anything else did. "
             "In the last week I slept more and studied less, which I would do again. "
             "Here is the rest of it, week by week, with what worked and what did not.")


@pytest.fixture
def moderator(client):
    user = make_user("curator", role="moderator")
    sign_in(client, user)
    return user


def hub(slug: str = "home") -> Hub:
    curation.ensure_hubs()
    db.session.commit()
    return curation.get_hub(slug)


def feature(story, slug: str = "home", **fields) -> Feature:
    card = curation.feature(hub=hub(slug), story=story, actor=None, **fields)
    db.session.commit()
    return card


def headlines(html: str) -> list[str]:
    return re.findall(r'<h3 class="feature-card-title">(.*?)</h3>', html)


def page(client, url: str = "/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def log(action: str | None = None) -> list[ModAction]:
    """Lines written by signed-in moderators (the feature() builder above logs with no actor, as the console)."""
    db.session.rollback()
    query = sa.select(ModAction).where(ModAction.actor_id.is_not(None)).order_by(ModAction.id)
    return list(db.session.scalars(query.where(ModAction.action == action) if action else query))


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def feature_form(client, story, **fields):
    data = {"hub": "home", "headline": "", "teaser": "", "expires_on": "", "reason": "", **fields}
    return post_form(client, f"/mod/feature/{story.id}", data)


def move(client, card, direction: str):
    return post_form(client, f"/mod/features/{card.id}/move", {"direction": direction}, token_from="/")


# The front page and the step hubs


def test_front_page_shows_the_intro_then_the_cards_then_the_hot_stories(client):
    story = make_story(title="Passed CK after a failed first attempt")
    feature(story, headline="From fail to 248", teaser="What changed between the two attempts.")
    html = page(client)
    assert "USMLE: What It Is, Who Takes It, and Why It Matters for Medical Careers</h1>" in html
    assert "the gatekeeper for foreign-trained doctors" in html
    card = html[html.index('<article class="feature-card"'):]
    assert '<h3 class="feature-card-title">From fail to 248</h3>' in card
    assert '<p class="feature-card-teaser">What changed between the two attempts.</p>' in card
    assert (f'<a href="/stories/{story.id}-{story.slug}">Read More<span class="visually-hidden"> about From fail to 248'
            '</span></a>') in card
    assert html.index("gatekeeper") < html.index("feature-card") < html.index('class="story-card"')
    assert 'aria-label="Steps"' in html and ">Step 2 CS</a>" in html


def test_a_page_view_writes_no_hub_rows_and_shows_the_shipped_text(client):
    assert "Thousands of international medical graduates" in page(client)
    assert "Step 2 CK (Clinical Knowledge) dives into real-world diagnosis" in page(client, "/steps/step-2-ck")
    assert count(Hub) == 0


def test_hubs_load_creates_each_hub_once_and_keeps_edited_intros(app):
    runner = app.test_cli_runner()
    assert "5 added" in runner.invoke(args=["hubs", "load"]).output
    home = curation.get_hub("home")
    home.intro = "Edited by a moderator."
    db.session.commit()
    assert "0 added, 5 already there" in runner.invoke(args=["hubs", "load"]).output
    assert count(Hub) == 5
    assert fresh(home).intro == "Edited by a moderator."
    assert "<p>" in curation.get_hub("step1").intro_html


def test_step_hub_shows_its_own_cards_only(client):
    step1 = make_story(title="Step 1 in the pass/fail era", step="step1", score=None)
    ck = make_story(title="CK with two passes of UWorld")
    feature(step1, "step1", headline="Pass/fail Step 1, honestly")
    feature(ck, "home", headline="CK on the front page")
    step_page = page(client, "/steps/step-1")
    assert headlines(step_page) == ["Pass/fail Step 1, honestly"]
    assert "Step 1 used to be the big one" in step_page
    assert headlines(page(client)) == ["CK on the front page"]
    assert headlines(page(client, "/steps/step-3")) == []


def test_step_2_cs_hub_says_it_was_discontinued(client):
    html = page(client, "/steps/step-2-cs")
    assert "discontinued on 26 January 2021" in html
    hub("step2cs")
    assert "discontinued on 26 January 2021" in curation.get_hub("step2cs").intro_html


@pytest.mark.parametrize("url", ["/", "/steps/step-2-ck"])
def test_hub_pages_run_the_same_queries_for_one_card_or_ten(client, url, page_queries):
    slug = "home" if url == "/" else "step2ck"
    feature(make_story(title="Card 0"), slug)
    one = page_queries(url)
    for n in range(1, 10):
        feature(make_story(make_user(), title=f"Card {n}"), slug)
    assert len(curation.featured(slug, utcnow())) == 10
    assert len(headlines(page(client, url))) == 10
    assert page_queries(url) == one


# Order, end dates and hidden stories


def test_cards_show_in_the_order_moderators_set(client):
    cards = [feature(make_story(title=f"Story {n}"), headline=f"Card {n}") for n in range(3)]
    assert headlines(page(client)) == ["Card 0", "Card 1", "Card 2"]
    assert [c.position for c in cards] == [0, 1, 2]


def test_move_up_and_down_swap_neighbours_and_log_once_each(client, moderator):
    a, b, c = (feature(make_story(title=f"Story {n}"), headline=f"Card {n}") for n in "abc")
    response = move(client, c, "up")
    assert response.status_code == 302 and response.headers["Location"] == f"/#feature-{c.id}"
    assert headlines(page(client)) == ["Card a", "Card c", "Card b"]
    move(client, a, "down")
    assert headlines(page(client)) == ["Card c", "Card a", "Card b"]
    entries = log("reorder")
    assert [(e.target_id, e.actor_id, e.reason) for e in entries] == [
        (c.story_id, moderator.id, "moved up"), (a.story_id, moderator.id, "moved down")]


def test_moving_the_first_card_up_changes_nothing_and_logs_nothing(client, moderator):
    first = feature(make_story(title="First"), headline="First")
    feature(make_story(title="Second"), headline="Second")
    assert move(client, first, "up").status_code == 302
    assert "is already first" in page(client)
    assert headlines(page(client)) == ["First", "Second"]
    assert log() == []


def test_move_steps_over_cards_readers_do_not_see(client, moderator):
    a = feature(make_story(title="A"), headline="A")
    feature(make_story(title="Hidden"), headline="Hidden", expires_at=utcnow() - timedelta(days=1))
    c = feature(make_story(title="C"), headline="C")
    move(client, c, "up")
    assert headlines(page(client)) == ["C", "A"]
    assert fresh(c).position < fresh(a).position


def test_cards_past_their_end_date_drop_off(client):
    now = utcnow()
    feature(make_story(title="Still on"), headline="Still on", expires_at=now + timedelta(hours=1))
    feature(make_story(title="Gone"), headline="Gone", expires_at=now - timedelta(seconds=1))
    feature(make_story(title="No end"), headline="No end")
    assert headlines(page(client)) == ["Still on", "No end"]
    assert [f.headline for f in curation.featured("home", now + timedelta(hours=2))] == ["No end"]


def test_show_until_today_keeps_the_card_through_the_day(client, moderator):
    story = make_story(title="Shown today")
    assert feature_form(client, story, expires_on=utcnow().date().isoformat()).status_code == 302
    card = db.session.scalar(sa.select(Feature))
    assert card.expires_at == (utcnow() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert headlines(page(client)) == ["Shown today"]


@pytest.mark.parametrize("status", ["removed", "deleted"])
def test_removed_and_deleted_stories_never_show_as_cards(client, moderator, status):
    story = make_story(title="Will be taken down")
    feature(story, headline="Taken down")
    feature(make_story(title="Stays"), headline="Stays")
    story.status = status
    db.session.commit()
    assert headlines(page(client)) == ["Stays"]
    assert headlines(page(client, "/steps/step-2-ck")) == []
    assert [f.headline for f in curation.featured("home", utcnow())] == ["Stays"]


@pytest.mark.parametrize("status", ["removed", "deleted"])
def test_a_removed_or_deleted_story_cannot_be_featured(client, moderator, status):
    story = make_story(title="Not for the front page", status=status)
    response = feature_form(client, story, teaser="Should not appear.")
    assert response.status_code == 400
    assert f"This story is {status}" in response.get_data(as_text=True)
    assert count(Feature) == 0 and log() == []


# Featuring, unfeaturing, intros: each one line in the log


def test_featuring_uses_the_title_and_the_opening_sentences_by_default(client, moderator):
    story = make_story(title="Eight weeks to 250 on CK", body=LONG_BODY)
    response = feature_form(client, story, reason="A model of a useful story.")
    card = db.session.scalar(sa.select(Feature))
    assert response.status_code == 302 and response.headers["Location"] == f"/#feature-{card.id}"
    assert card.headline == "Eight weeks to 250 on CK"
    assert card.teaser == LONG_BODY[:LONG_BODY.index("In the last week")].rstrip()
    assert len(card.teaser) <= curation.TEASER_CHARS
    assert card.featured_by_id == moderator.id and card.expires_at is None
    [entry] = log()
    assert (entry.action, entry.target_type, entry.target_id, entry.actor_id, entry.reason) == (
        "feature", "story", story.id, moderator.id, "A model of a useful story.")
    assert entry.target_label == "Eight weeks to 250 on CK · the front page"


def test_a_short_story_is_its_own_teaser(app):
    story = make_story(body="Passed. **UWorld** and sleep.")
    assert curation.default_teaser(story) == "Passed. UWorld and sleep."


def test_new_cards_go_last_and_featuring_again_updates_in_place(client, moderator):
    first = make_story(title="First")
    second = make_story(title="Second")
    feature_form(client, first, headline="First card")
    feature_form(client, second, headline="Second card")
    feature_form(client, first, headline="First card, renamed", teaser="New teaser.")
    assert headlines(page(client)) == ["First card, renamed", "Second card"]
    assert count(Feature) == 2
    assert [e.action for e in log()] == ["feature", "feature", "feature"]


def test_the_same_story_can_be_featured_on_two_hubs(client, moderator):
    story = make_story(title="Both places")
    feature_form(client, story, hub="home")
    response = feature_form(client, story, hub="step2ck")
    assert response.headers["Location"].startswith("/steps/step-2-ck#feature-")
    assert headlines(page(client)) == headlines(page(client, "/steps/step-2-ck")) == ["Both places"]
    assert "Already featured on" in page(client, f"/mod/feature/{story.id}")


def test_unfeature_takes_the_card_off_and_logs_once(client, moderator):
    story = make_story(title="Off again")
    card = feature(story, headline="Off again")
    response = post_form(client, f"/mod/features/{card.id}/unfeature", {"reason": "Outdated advice."},
                         token_from="/")
    assert response.status_code == 302 and response.headers["Location"] == "/#featured"
    assert headlines(page(client)) == []
    assert count(Feature) == 0
    [entry] = log()
    assert (entry.action, entry.target_id, entry.actor_id, entry.reason) == (
        "unfeature", story.id, moderator.id, "Outdated advice.")


def test_edit_intro_renders_markdown_writes_the_row_and_logs_once(client, moderator):
    response = post_form(client, "/mod/hubs/step3/edit", {"intro": "Take it **in intern year**.",
                                                          "reason": "Shorter."})
    assert response.status_code == 302 and response.headers["Location"] == "/steps/step-3"
    assert "Take it <strong>in intern year</strong>." in page(client, "/steps/step-3")
    assert count(Hub) == 5  # the POST wrote every hub's row, the others with the shipped text
    [entry] = log()
    step3 = curation.get_hub("step3")
    assert (entry.action, entry.target_type, entry.target_id, entry.actor_id, entry.reason) == (
        "edit_hub", "hub", step3.id, moderator.id, "Shorter.")
    assert step3.intro == "Take it **in intern year**."


def test_edit_intro_form_starts_from_the_current_text(client, moderator):
    html = page(client, "/mod/hubs/home/edit")
    assert "When you hear USMLE" in html and "Edit the intro of the front page" in html
    assert client.get("/mod/hubs/step4/edit").status_code == 404


def test_moderators_see_the_controls_and_readers_do_not(app, client, moderator):
    story = make_story(title="Controlled")
    card = feature(story)
    html = page(client)
    assert "Move up" not in html and "Move down" not in html  # a single card has nowhere to go
    assert f'action="/mod/features/{card.id}/unfeature"' in html
    assert 'href="/mod/hubs/home/edit">Edit intro</a>' in html
    assert f'href="/mod/feature/{story.id}">Feature</a>' in page(client, f"/stories/{story.id}-{story.slug}")
    reader = app.test_client()
    html = page(reader)
    assert "/unfeature" not in html and "Edit intro" not in html
    assert "/mod/feature/" not in page(reader, f"/stories/{story.id}-{story.slug}")


# Bad input and the door


@pytest.mark.parametrize(("fields", "message"), [
    ({"headline": "h" * 151}, "150 characters"),
    ({"teaser": "t" * 601}, "600 characters"),
    ({"expires_on": "next tuesday"}, "Not a valid date"),
    ({"expires_on": "2020-01-01"}, "Choose today or a later day"),
    ({"hub": "step4"}, "Not a valid choice"),
    ({"headline": "bad\x00byte"}, "invisible control characters"),
])
def test_bad_feature_input_is_a_field_error(client, moderator, fields, message):
    response = feature_form(client, make_story(), **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(Feature) == 0 and log() == []


def test_an_intro_over_twenty_thousand_characters_is_refused(client, moderator):
    response = post_form(client, "/mod/hubs/home/edit", {"intro": "x" * 20_001})
    assert response.status_code == 400 and "20000 characters" in response.get_data(as_text=True)
    assert count(Hub) == 0 and log() == []


def test_a_bad_direction_or_unknown_card_is_refused(client, moderator):
    card = feature(make_story())
    assert move(client, card, "sideways").status_code == 400
    assert post_form(client, "/mod/features/999999/move", {"direction": "up"}, token_from="/").status_code == 404
    assert post_form(client, "/mod/features/999999/unfeature", {}, token_from="/").status_code == 404
    assert client.get("/mod/feature/999999").status_code == 404
    assert log() == []


ROUTES = [
    ("GET", "/mod/feature/{story}", {}),
    ("POST", "/mod/feature/{story}", {"hub": "home", "headline": "Sneaky"}),
    ("POST", "/mod/features/{card}/move", {"direction": "up"}),
    ("POST", "/mod/features/{card}/unfeature", {}),
    ("GET", "/mod/hubs/home/edit", {}),
    ("POST", "/mod/hubs/home/edit", {"intro": "Defaced."}),
]


@pytest.mark.parametrize("role", ["anonymous", "member"])
@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_only_moderators_may_curate(client, role, method, url, data):
    story = make_story()
    feature(make_story(title="Already first"))
    card = feature(story)
    if role == "member":
        sign_in(client, make_user("plain_member"))
    url = url.format(story=story.id, card=card.id)
    before = (count(Feature), count(ModAction), curation.get_hub("home").intro)
    if method == "GET":
        response = client.get(url)
    else:
        response = post_form(client, url, data, token_from="/auth/register" if role == "anonymous" else "/")
    assert response.status_code == 403
    assert (count(Feature), count(ModAction), curation.get_hub("home").intro) == before
    assert [c.position for c in db.session.scalars(sa.select(Feature).order_by(Feature.id))] == [0, 1]


def test_posts_without_a_csrf_token_are_refused(client, moderator):
    card = feature(make_story())
    assert client.post(f"/mod/features/{card.id}/unfeature").status_code == 400
    assert client.post("/mod/hubs/home/edit", data={"intro": "No token."}).status_code == 400
    assert count(Feature) == 1 and log() == []


# Demo content


def test_seed_demo_features_the_seed_stories_on_the_front_page_once(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    html = page(client)
    assert headlines(html) == ["What Is the Toughest Exam in the USA?",
                               "Hardest Medical License Exam: Which One Tops the List?"]
    assert "Learn why it&#39;s harder than the Bar Exam, MCAT, or CPA and how students survive it." in html
    assert "Get ready for honest insights, not just the usual textbook talk." in html
    entries = log("feature")
    assert len(entries) == 2 and {e.actor.username for e in entries} == {"maya_img"}
