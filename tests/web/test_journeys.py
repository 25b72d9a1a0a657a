"""Retake journeys: an author links their attempts at one step; each story shows the journey; the rules hold among
the linked stories; listings can ask for "failed, then passed" (forum.journeys, forum/stories/journey_routes.py)."""
import re
from datetime import date
from html import unescape

import pytest
import sqlalchemy as sa

from forum import journeys
from forum.extensions import db
from forum.models import Journey, Story
from tests.builders import fresh, make_story, make_user, post_form, sign_in


def attempt(author, n: int, month: date, outcome: str, *, step: str = "step1", score: int | None = None, **fields):
    """A published story about one attempt (Step 1 in the scored era unless said otherwise)."""
    return make_story(author, title=f"{author.username} on {step}, attempt {n}, {outcome}", step=step, attempt=n,
                      exam_month=month, outcome=outcome, score=score, **fields)


@pytest.fixture
def kwame(app):
    return make_user("kwame_a", background="img")


@pytest.fixture
def retake(kwame):
    """A Caribbean IMG's Step 1: failed in November 2015, passed in April 2016."""
    return (attempt(kwame, 1, date(2015, 11, 1), "failed", score=184),
            attempt(kwame, 2, date(2016, 4, 1), "passed", score=216))


def save_journey(client, story, picked, note: str = "", **extra):
    return post_form(client, f"/stories/{story.id}/journey",
                     {"stories": [str(s.id) if hasattr(s, "id") else s for s in picked], "note": note, **extra})


def journey_ids(*stories) -> list[int | None]:
    db.session.rollback()
    return [db.session.get(Story, s.id).journey_id for s in stories]


def journey_section(html: str) -> str:
    match = re.search(r'<section class="journey".*?</section>', html, re.S)
    return match.group(0) if match else ""


# Linking and what the pages show

def test_linked_stories_both_show_the_journey(client, kwame, retake):
    failed, passed = retake
    sign_in(client, kwame)
    response = save_journey(client, passed, [failed], note="Questions first, an NBME every two weeks.")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/stories/{passed.id}-{passed.slug}")

    first, second = journey_ids(failed, passed)
    assert first == second is not None
    for story, other in ((failed, passed), (passed, failed)):
        section = journey_section(client.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True))
        assert "Journey: 2 attempts at Step 1" in section
        here = f'<a href="/stories/{story.id}-{story.slug}" aria-current="page">{story.title}</a> (this story)'
        assert here in section
        assert f'<a href="/stories/{other.id}-{other.slug}">{other.title}</a>' in section
        assert section.index("November 2015") < section.index("April 2016")  # attempt order
        assert "184" in section and "216" in section and "Failed" in section and "Passed" in section
        assert "Questions first, an NBME every two weeks." in section


def test_a_story_without_a_journey_shows_none(client, retake):
    failed, _ = retake
    assert journey_section(client.get(f"/stories/{failed.id}-{failed.slug}").get_data(as_text=True)) == ""


def test_the_form_offers_only_the_authors_own_published_stories_of_that_step(client, kwame, retake):
    failed, passed = retake
    ck = attempt(kwame, 1, date(2017, 2, 1), "failed", step="step2ck", score=203)
    deleted = attempt(kwame, 3, date(2016, 9, 1), "passed", status="deleted")
    someone_elses = attempt(make_user(), 2, date(2016, 4, 1), "passed")
    sign_in(client, kwame)
    page = client.get(f"/stories/{failed.id}/journey").get_data(as_text=True)
    offered = re.findall(r'name="stories" value="(\d+)"', page)
    assert offered == [str(passed.id)]
    assert all(s.title not in page for s in (ck, deleted, someone_elses))


def test_linking_joins_the_authors_journey_at_that_step(client, kwame, retake):
    failed, passed = retake
    third = attempt(kwame, 3, date(2016, 12, 1), "passed")
    sign_in(client, kwame)
    save_journey(client, failed, [passed])
    page = client.get(f"/stories/{third.id}/journey").get_data(as_text=True)
    assert "saving adds this story to it" in page
    assert len(re.findall(r'name="stories" value="\d+"\s+checked', page)) == 2  # the journey's stories, ticked

    assert save_journey(client, third, [failed, passed]).status_code == 302
    ids = journey_ids(failed, passed, third)
    assert len(set(ids)) == 1 and ids[0] is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Journey)) == 1


def test_the_journey_pages_are_well_formed(client, kwame, retake):
    """One <h1>, labelled controls, resolving ARIA references: the crawler's checks, on pages it may not reach."""
    from tests.web.test_page_structure import check

    failed, passed = retake
    ck = attempt(kwame, 2, date(2017, 6, 1), "passed", step="step2ck", score=229)
    sign_in(client, kwame)
    pages = {"form": client.get(f"/stories/{failed.id}/journey").get_data(as_text=True),
             "form with errors": save_journey(client, failed, [ck]).get_data(as_text=True)}
    save_journey(client, failed, [passed])
    pages["linked form"] = client.get(f"/stories/{failed.id}/journey").get_data(as_text=True)
    pages["story"] = client.get(f"/stories/{failed.id}-{failed.slug}").get_data(as_text=True)
    for name, html in pages.items():
        assert check(name, html)[0] == []


# Refusals

def test_a_fourth_attempt_eight_months_after_the_first_is_refused(client, kwame):
    stories = [attempt(kwame, 1, date(2023, 1, 1), "failed"), attempt(kwame, 2, date(2023, 3, 1), "failed"),
               attempt(kwame, 3, date(2023, 5, 1), "failed"), attempt(kwame, 4, date(2023, 9, 1), "passed")]
    sign_in(client, kwame)
    response = save_journey(client, stories[3], stories[:3])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert ("Your fourth attempt (September 2023) came 8 months after your first attempt (January 2023). USMLE "
            "allows at most 3 attempts at a step within 12 months, so attempt 4 must be at least 12 months after "
            "attempt 1.") in page
    assert 'aria-describedby="stories-error"' in page
    assert journey_ids(*stories) == [None] * 4


def test_the_rules_ignore_stories_the_author_did_not_link(client, kwame):
    """Attempts 2 and 3 written but not linked: a 4th eight months after the 1st is not judged against them."""
    first = attempt(kwame, 1, date(2022, 1, 1), "failed")
    attempt(kwame, 2, date(2022, 3, 1), "failed")
    attempt(kwame, 3, date(2022, 5, 1), "failed")
    fourth = attempt(kwame, 4, date(2023, 1, 1), "passed")
    sign_in(client, kwame)
    assert save_journey(client, fourth, [first]).status_code == 302


def test_another_members_story_cannot_be_linked(client, kwame, retake):
    failed, _ = retake
    other = attempt(make_user(), 2, date(2016, 4, 1), "passed")
    sign_in(client, kwame)
    response = save_journey(client, failed, [other])
    assert response.status_code == 400
    assert ("One of the stories you picked is another member's: a journey links your own stories only."
            in unescape(response.get_data(as_text=True)))
    assert journey_ids(failed, other) == [None, None]
    with pytest.raises(journeys.JourneyRefused):
        journeys.link(fresh(kwame), [fresh(failed), fresh(other)])


def test_a_story_of_another_step_cannot_be_linked(client, kwame, retake):
    failed, _ = retake
    ck = attempt(kwame, 2, date(2017, 6, 1), "passed", step="step2ck", score=229)
    sign_in(client, kwame)
    response = save_journey(client, failed, [ck])
    assert response.status_code == 400
    assert (f"“{ck.title}” is about Step 2 CK: a journey links attempts at one step, here Step 1."
            in response.get_data(as_text=True))
    assert journey_ids(failed, ck) == [None, None]


def test_the_title_of_someone_elses_removed_story_is_never_shown(client, kwame, retake):
    failed, _ = retake
    removed = attempt(make_user(), 2, date(2016, 4, 1), "passed", status="removed")
    sign_in(client, kwame)
    page = save_journey(client, failed, [removed]).get_data(as_text=True)
    assert "another member's" in unescape(page) and removed.title not in page


@pytest.mark.parametrize("picked", [["abc"], ["0"], ["99999999999"], ["987654"], [str(n) for n in range(1, 9)]])
def test_ids_that_name_no_story_of_yours_are_a_field_error(client, kwame, retake, picked):
    failed, _ = retake
    sign_in(client, kwame)
    response = save_journey(client, failed, picked)
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    assert journey_ids(failed) == [None]


def test_a_deleted_story_of_ones_own_cannot_be_linked_nor_link(client, kwame, retake):
    failed, _ = retake
    deleted = attempt(kwame, 2, date(2016, 4, 1), "passed", status="deleted")
    sign_in(client, kwame)
    response = save_journey(client, failed, [deleted])
    assert response.status_code == 400
    assert "is deleted or removed, so it cannot be linked" in response.get_data(as_text=True)
    assert client.get(f"/stories/{deleted.id}/journey").status_code == 403
    assert journey_ids(failed, deleted) == [None, None]


def test_a_journey_has_at_most_six_attempts_so_five_others_are_the_most_one_can_pick(client, kwame):
    stories = [attempt(kwame, n, date(2010 + n, 1, 1), "failed") for n in range(1, 8)]
    sign_in(client, kwame)
    response = save_journey(client, stories[0], stories[1:])
    assert response.status_code == 400
    assert "A journey has at most 6 attempts: pick at most 5 other stories." in response.get_data(as_text=True)


def test_picking_nothing_for_an_unlinked_story_asks_for_a_story(client, kwame, retake):
    failed, _ = retake
    sign_in(client, kwame)
    response = save_journey(client, failed, [])
    assert response.status_code == 400
    assert "Pick at least one other story" in response.get_data(as_text=True)


def test_a_note_longer_than_the_column_is_a_field_error(client, kwame, retake):
    failed, passed = retake
    sign_in(client, kwame)
    response = save_journey(client, passed, [failed], note="x" * (journeys.NOTE_MAX + 1))
    assert response.status_code == 400
    assert journey_ids(failed, passed) == [None, None]


def test_a_save_without_a_csrf_token_changes_nothing(client, kwame, retake):
    failed, passed = retake
    sign_in(client, kwame)
    response = client.post(f"/stories/{failed.id}/journey", data={"stories": [str(passed.id)]})
    assert response.status_code == 400
    assert journey_ids(failed, passed) == [None, None]


def test_too_many_saves_in_a_short_time_wait_and_keep_the_form(client, kwame, retake, monkeypatch):
    from forum.stories import journey_routes

    failed, passed = retake
    monkeypatch.setattr(journey_routes, "edit_limit_exceeded", lambda user: 60)
    sign_in(client, kwame)
    response = save_journey(client, failed, [passed], note="kept")
    assert response.status_code == 429 and response.headers["Retry-After"] == "60"
    page = response.get_data(as_text=True)
    assert "Wait a few minutes" in page and "kept</textarea>" in page
    assert journey_ids(failed, passed) == [None, None]


# Who may link

def test_only_the_author_may_link_their_stories(client, app, retake):
    failed, passed = retake
    url = f"/stories/{failed.id}/journey"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    for who in (make_user("another_member"), make_user("a_moderator", role="moderator")):
        other = app.test_client()
        sign_in(other, who)
        assert other.get(url).status_code == 403
        assert save_journey(other, failed, [passed]).status_code == 403
    assert journey_ids(failed, passed) == [None, None]


def test_the_author_sees_link_attempts_on_their_story_and_others_do_not(client, app, kwame, retake):
    """The link is in the story tools, a hole of the cached page filled for each reader."""
    failed, _ = retake
    url = f"/stories/{failed.id}-{failed.slug}"
    member = app.test_client()
    sign_in(member, make_user())
    assert "Link attempts" not in member.get(url).get_data(as_text=True)  # stored for every member
    sign_in(client, kwame)
    assert f'href="/stories/{failed.id}/journey">Link attempts</a>' in client.get(url).get_data(as_text=True)
    assert "Link attempts" not in app.test_client().get(url).get_data(as_text=True)


# Unlinking

def test_unlinking_one_of_two_ends_the_journey(client, kwame, retake):
    failed, passed = retake
    sign_in(client, kwame)
    save_journey(client, failed, [passed])
    response = save_journey(client, failed, [passed], unlink="1")
    assert response.status_code == 302
    assert journey_ids(failed, passed) == [None, None]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Journey)) == 0
    assert journey_section(client.get(f"/stories/{passed.id}-{passed.slug}").get_data(as_text=True)) == ""


def test_unlinking_one_of_three_keeps_the_other_two(client, kwame, retake):
    failed, passed = retake
    third = attempt(kwame, 3, date(2016, 12, 1), "passed")
    sign_in(client, kwame)
    save_journey(client, third, [failed, passed])
    save_journey(client, third, [], unlink="1")
    first, second, last = journey_ids(failed, passed, third)
    assert first == second is not None and last is None
    assert "Journey: 2 attempts" in client.get(f"/stories/{failed.id}-{failed.slug}").get_data(as_text=True)


def test_unticking_a_story_takes_it_out_of_the_journey(client, kwame, retake):
    failed, passed = retake
    third = attempt(kwame, 3, date(2016, 12, 1), "passed")
    sign_in(client, kwame)
    save_journey(client, third, [failed, passed])
    assert save_journey(client, third, [passed]).status_code == 302
    first, second, last = journey_ids(failed, passed, third)
    assert first is None and second == last is not None
    assert "Journey: 2 attempts" in client.get(f"/stories/{third.id}-{third.slug}").get_data(as_text=True)


def test_a_journey_left_with_one_readable_story_is_not_shown(client, kwame, retake):
    failed, passed = retake
    sign_in(client, kwame)
    save_journey(client, failed, [passed])
    post_form(client, f"/stories/{passed.id}/delete", {}, token_from=f"/stories/{passed.id}-{passed.slug}")
    assert fresh(passed).status == "deleted"
    assert journey_section(client.get(f"/stories/{failed.id}-{failed.slug}").get_data(as_text=True)) == ""


def test_saving_with_no_story_ticked_unlinks(client, kwame, retake):
    failed, passed = retake
    sign_in(client, kwame)
    save_journey(client, failed, [passed])
    assert save_journey(client, failed, []).status_code == 302
    assert journey_ids(failed, passed) == [None, None]


# Caching: the pages of every linked story change

def test_linking_retires_the_cached_pages_of_the_linked_stories(client, app, kwame, retake):
    failed, passed = retake
    reader = app.test_client()
    for story in retake:
        assert journey_section(reader.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)) == ""
    sign_in(client, kwame)
    save_journey(client, failed, [passed])
    for story in retake:
        assert "Journey: 2 attempts" in reader.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)


# Listings: "failed, then passed"

def test_failed_then_passed_selects_the_stories_of_journeys_that_recovered(app):
    def journey(*records):
        author = make_user()
        stories = [attempt(author, n, month, outcome, **extra) for n, month, outcome, extra in records]
        db.session.add(Journey(author_id=author.id, step="step1"))
        db.session.flush()
        journey_id = db.session.scalar(sa.select(sa.func.max(Journey.id)))
        for story in stories:
            story.journey_id = journey_id
        db.session.commit()
        return stories

    recovered = journey((1, date(2015, 11, 1), "failed", {}), (2, date(2016, 4, 1), "passed", {}))
    still_failing = journey((1, date(2022, 10, 1), "failed", {}), (2, date(2023, 1, 1), "failed", {}))
    passed_then_failed = journey((1, date(2019, 1, 1), "passed", {}), (2, date(2019, 6, 1), "failed", {}))
    pass_deleted = journey((1, date(2023, 2, 1), "failed", {}), (2, date(2023, 8, 1), "passed", {"status": "deleted"}))
    long_way = journey((1, date(2018, 1, 1), "failed", {}), (2, date(2018, 5, 1), "failed", {}),
                       (3, date(2018, 9, 1), "passed", {}))
    deleted_first = journey((1, date(2017, 1, 1), "failed", {"status": "deleted"}), (2, date(2017, 5, 1), "failed", {}),
                            (3, date(2017, 9, 1), "passed", {}))
    unlinked_author = make_user()
    attempt(unlinked_author, 1, date(2020, 1, 1), "failed")
    attempt(unlinked_author, 2, date(2020, 6, 1), "passed")

    selected = db.session.scalars(sa.select(Story.id).where(journeys.failed_then_passed_clause())
                                  .order_by(Story.id)).all()
    assert selected == [s.id for s in recovered + long_way + deleted_first[1:]]
    assert not {s.id for s in still_failing + passed_then_failed + pass_deleted} & set(selected)


# The story page's queries

def test_the_story_page_loads_a_journey_of_four_in_the_queries_of_two(client, kwame, page_queries):
    stories = [attempt(kwame, 1, date(2019, 1, 1), "failed", score=180),
               attempt(kwame, 2, date(2019, 4, 1), "failed", score=185),
               attempt(kwame, 3, date(2019, 8, 1), "failed", score=190),
               attempt(kwame, 4, date(2020, 2, 1), "passed", score=220)]
    journeys.link(kwame, stories[:2])
    db.session.commit()
    url = f"/stories/{stories[0].id}-{stories[0].slug}"
    two = page_queries(url)
    journeys.link(fresh(kwame), [fresh(s) for s in stories])
    db.session.commit()
    assert "Journey: 4 attempts at Step 1" in client.get(url).get_data(as_text=True)
    assert page_queries(url) == two


# The demo

def test_the_demo_links_its_retake_stories(app, client):
    from forum import demo

    demo.seed()
    db.session.rollback()
    kwame = db.session.scalars(sa.select(Story).where(Story.title.like("184 on Step 1%"))).one()
    linked = journeys.journey_for(kwame)
    assert [(s.attempt, s.exam_month, s.outcome) for s in linked] == [
        (1, date(2015, 11, 1), "failed"), (2, date(2016, 4, 1), "passed")]
    assert linked[1].journey_note.startswith("Four more months")
    ck = db.session.scalars(sa.select(Story).where(Story.title.like("Failed CK by six points%"))).one()
    assert [s.exam_month for s in journeys.journey_for(ck)] == [date(2017, 2, 1), date(2017, 6, 1)]
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Journey))
    assert demo.seed()["new journeys"] == 0  # again: nothing doubles
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Journey)) == count
    page = client.get(f"/stories/{kwame.id}-{kwame.slug}").get_data(as_text=True)
    assert "Journey: 2 attempts at Step 1" in page
    assert len(db.session.scalars(sa.select(Story.id).where(journeys.failed_then_passed_clause())).all()) == 2 * count


# For the story form: what an edit of a linked story would break

def test_an_edit_that_would_break_the_journey_is_named(app, kwame, retake):
    failed, passed = retake
    journeys.link(kwame, list(retake))
    db.session.commit()
    assert journeys.problems_after_edit(passed, step="step1", attempt=2, exam_month=date(2016, 5, 1)) == []
    assert "is dated before" in journeys.problems_after_edit(passed, step="step1", attempt=2,
                                                             exam_month=date(2015, 6, 1))[0]
    assert "take it out of the journey" in journeys.problems_after_edit(passed, step="step2ck", attempt=2,
                                                                        exam_month=date(2016, 4, 1))[0]
    unlinked = attempt(kwame, 3, date(2016, 9, 1), "passed")
    assert journeys.problems_after_edit(unlinked, step="step2ck", attempt=1, exam_month=date(2016, 4, 1)) == []


def test_the_edit_form_refuses_an_edit_that_breaks_the_journey_and_keeps_the_text(client, kwame, retake):
    failed, passed = retake
    journeys.link(kwame, list(retake))
    db.session.commit()
    sign_in(client, kwame)
    form = {"title": passed.title, "step": "step1", "exam_month": "2015-06", "attempt": "2", "outcome": "passed",
            "score": "216", "background": "img", "prep_weeks": "8", "body": "A retake story, edited. " * 3,
            "resources-0-name": "", "practice-0-assessment": "", "practice-0-score": "", "practice-0-taken_on": ""}
    response = post_form(client, f"/stories/{passed.id}/edit", form)
    assert response.status_code == 400
    error = re.search(r'id="attempt-error">([^<]*)<', response.get_data(as_text=True))
    assert error and "is dated before" in unescape(error.group(1))
    assert fresh(passed).exam_month == date(2016, 4, 1)
