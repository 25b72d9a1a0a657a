"""Listings, search and the API find verified outcomes and "failed, then passed" journeys, and agree on them."""
from datetime import date

import pytest

from forum import journeys
from forum.extensions import db
from forum.models import utcnow
from tests.builders import make_story, make_user


@pytest.fixture
def record(app):
    """A verified story, an unverified one, and a journey of a fail then a pass (and one of a pass then a fail)."""
    author, other = make_user("kwame_a"), make_user("lucia_m")
    verified = make_story(author, title="Verified CK pass", verified_at=utcnow())
    plain = make_story(other, title="Unverified CK pass")
    failed = make_story(author, title="Step 1 fail, first try", step="step1", attempt=1, outcome="failed",
                        exam_month=date(2015, 11, 1), score=184)
    passed = make_story(author, title="Step 1 pass on the retake", step="step1", attempt=2, outcome="passed",
                        exam_month=date(2016, 4, 1), score=216)
    up = make_story(other, title="Step 3 pass then", step="step3", attempt=1, outcome="passed", score=220,
                    exam_month=date(2019, 1, 1))
    down = make_story(other, title="Step 3 fail after", step="step3", attempt=2, outcome="failed", score=190,
                      exam_month=date(2019, 9, 1))
    journeys.link(author, [failed, passed])
    journeys.link(other, [up, down])
    db.session.commit()
    return {"verified": verified, "plain": plain, "failed": failed, "passed": passed}


def html_titles(client, url: str) -> set[str]:
    page = client.get(url).get_data(as_text=True)
    return {t for t in ("Verified CK pass", "Unverified CK pass", "Step 1 fail, first try",
                        "Step 1 pass on the retake", "Step 3 pass then", "Step 3 fail after") if t in page}


def api_titles(client, url: str) -> set[str]:
    body = client.get(url).get_json()
    stories = body["stories"] if "stories" in body else [r["story"] for r in body["results"]]
    return {s["title"] for s in stories}


VERIFIED = {"Verified CK pass"}
RECOVERED = {"Step 1 fail, first try", "Step 1 pass on the retake"}


@pytest.mark.parametrize("url", ["/stories?verified=1", "/search?verified=1"])
def test_pages_filter_to_verified_outcomes(client, record, url):
    assert html_titles(client, url) == VERIFIED


@pytest.mark.parametrize("url", ["/stories?journey=failed-then-passed", "/search?journey=failed-then-passed"])
def test_pages_find_failed_then_passed_and_not_passed_then_failed(client, record, url):
    assert html_titles(client, url) == RECOVERED


@pytest.mark.parametrize(("url", "expected"), [
    ("/api/v1/stories?verified=1", VERIFIED), ("/api/v1/search?verified=1", VERIFIED),
    ("/api/v1/stories?journey=failed-then-passed", RECOVERED), ("/api/v1/search?journey=failed-then-passed", RECOVERED),
])
def test_the_api_filters_alike(client, record, url, expected):
    assert api_titles(client, url) == expected


def test_the_api_says_when_an_outcome_was_verified(client, record):
    body = client.get("/api/v1/stories?verified=1").get_json()
    assert body["stories"][0]["verified_on"] == record["verified"].verified_at.date().isoformat()


@pytest.mark.parametrize("url", ["/api/v1/stories?verified=yes", "/api/v1/search?journey=passed-then-failed"])
def test_the_api_names_a_bad_filter_value(client, record, url):
    response = client.get(url)
    assert response.status_code == 400 and response.get_json()["error"].split(":")[0] in ("verified", "journey")


def test_the_listing_form_keeps_the_filters_it_shows(client, record):
    page = client.get("/stories?verified=1&journey=failed-then-passed").get_data(as_text=True)
    assert 'id="f-verified" type="checkbox" name="verified" value="1" checked' in page
    assert '<option value="failed-then-passed" selected>' in page


def test_a_listing_card_marks_a_verified_outcome(client, record):
    page = client.get("/stories?sort=new").get_data(as_text=True)
    assert page.count('class="chip chip-verified"') == 1
