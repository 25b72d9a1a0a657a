"""The read-only JSON API: shapes and values, the listing's filters, removed content absent, JSON errors, the rate
limit, constant queries, and every response checked against the served OpenAPI document by schemathesis."""
from contextlib import contextmanager
from datetime import date

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from forum.api import schema as api_schema
from forum.extensions import db, limiter
from forum.models import PracticeScore, StoryResource
from tests.builders import make_listing_shelf, make_resource, make_story
from tests.web.test_listings import titles as html_titles


@contextmanager
def api_rate_limit(app, limit: str):
    """The app is shared between tests: change its API limit for one test only."""
    before = app.config.get("API_RATE_LIMIT")
    app.config["API_RATE_LIMIT"] = limit
    limiter.reset()
    try:
        yield
    finally:
        if before is None:
            app.config.pop("API_RATE_LIMIT", None)
        else:
            app.config["API_RATE_LIMIT"] = before
        limiter.reset()


@pytest.fixture
def shelf(app):
    """The listing tests' four stories, a self-assessment with practice scores, and a deleted and a removed story."""
    stories, resources = make_listing_shelf()
    uw, amboss = resources["uw"], resources["amboss"]
    nbme = make_resource("NBME Form 12", slug="nbme-12", kind="self-assessment", steps=["step2ck"],
                         scale="three_digit")
    md, img = stories["s3_old"].author, stories["ck_uw_pass_img"].author
    stories |= {
        "deleted": make_story(md, title="Deleted zebrafish story", body="zebrafish " * 10, resources=[amboss],
                              status="deleted"),
        "removed": make_story(img, title="Removed zebrafish story", body="zebrafish " * 10, resources=[uw],
                              status="removed", status_reason="recalled exam questions"),
    }
    story = stories["ck_uw_pass_img"]
    db.session.execute(sa.update(StoryResource).where(StoryResource.story_id == story.id)
                       .values(rating=5, note="Did every question twice"))
    db.session.add_all([PracticeScore(story=story, resource=nbme, score=231, taken_on=date(2025, 5, 2)),
                        PracticeScore(story=story, resource=nbme, score=244, taken_on=date(2025, 5, 20))])
    db.session.commit()
    return stories


def get_json(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    return response.get_json()


def api_titles(client, url: str) -> list[str]:
    return [story["title"] for story in get_json(client, url)["stories"]]


def test_story_list_shape_and_values(client, shelf):
    body = get_json(client, "/api/v1/stories?sort=new")
    assert body["page"] == 1 and body["has_next"] is False
    first = body["stories"][0]
    story = shelf["ck_uw_pass_img"]
    assert first == {
        "id": story.id,
        "url": f"http://localhost/stories/{story.id}-{story.slug}",
        "title": "CK with UWorld, passed",
        "author": {"username": "img_writer", "background": "img"},
        "step": "step2ck",
        "exam_month": "2025-06",
        "attempt": 1,
        "outcome": "passed",
        "score": 245,
        "prep_weeks": 8,
        "votes": 0,
        "comment_count": 0,
        "created_at": story.created_at.isoformat(timespec="seconds") + "Z",
        "verified_on": None,
        "resources": [{"slug": "uworld-step-2-ck", "name": "UWorld Step 2 CK QBank", "rating": 5,
                       "note": "Did every question twice"}],
    }


@pytest.mark.parametrize("query", [
    "", "?step=step2ck", "?resource=amboss", "?step=step2ck&resource=amboss", "?outcome=failed", "?background=img",
    "?step=step2ck&resource=uworld-step-2-ck&outcome=passed&background=img",
    "?resource=uworld-step-2-ck&resource=amboss", "?sort=new", "?sort=top&t=week", "?sort=top&t=all",
    "?resource=no-such-resource",
])
def test_filters_and_sorts_give_the_html_listing_results(client, shelf, query):
    assert api_titles(client, "/api/v1/stories" + query) == html_titles(client, "/stories" + query)


def test_pages_with_per_page(client, shelf):
    first = get_json(client, "/api/v1/stories?sort=new&per_page=3")
    second = get_json(client, "/api/v1/stories?sort=new&per_page=3&page=2")
    assert len(first["stories"]) == 3 and first["has_next"] is True
    assert len(second["stories"]) == 1 and second["has_next"] is False and second["page"] == 2


def test_story_detail_has_the_exam_record_resources_and_practice_scores(client, shelf):
    story = shelf["ck_uw_pass_img"]
    body = get_json(client, f"/api/v1/stories/{story.id}")
    assert body["title"] == story.title and body["body"] == story.body and body["body_html"] == story.body_html
    assert body["passing_standard"] == 214  # Step 2 CK in June 2025
    assert body["practice_scores"] == [
        {"assessment": {"slug": "nbme-12", "name": "NBME Form 12", "scale": "three_digit"}, "score": 231,
         "scale": "three_digit", "taken_on": "2025-05-02"},
        {"assessment": {"slug": "nbme-12", "name": "NBME Form 12", "scale": "three_digit"}, "score": 244,
         "scale": "three_digit", "taken_on": "2025-05-20"},
    ]
    assert body["resources"][0]["slug"] == "uworld-step-2-ck"


def test_pass_fail_step_has_no_passing_standard(client, shelf):
    assert get_json(client, f"/api/v1/stories/{shelf['s1_amboss_img'].id}")["passing_standard"] is None


def test_resource_catalogue(client, shelf):
    resources = {r["slug"]: r for r in get_json(client, "/api/v1/resources")["resources"]}
    assert set(resources) == {"uworld-step-2-ck", "amboss", "nbme-12"}
    assert resources["nbme-12"] == {"slug": "nbme-12", "name": "NBME Form 12",
                                    "url": "http://localhost/resources/nbme-12", "kind": "self-assessment",
                                    "steps": ["step2ck"], "scale": "three_digit", "description": "",
                                    "story_count": 0}
    assert resources["amboss"]["steps"] == ["step1", "step2ck"]


@pytest.mark.parametrize("which", ["deleted", "removed"])
def test_deleted_and_removed_stories_never_appear(client, shelf, which):
    story = shelf[which]
    listed = {s["id"] for s in get_json(client, "/api/v1/stories?sort=new&per_page=100")["stories"]}
    assert story.id not in listed
    assert get_json(client, f"/api/v1/stories/{story.id}", status=404) == {
        "error": f"There is no published story {story.id}.", "status": 404}
    found = get_json(client, "/api/v1/search?q=zebrafish")
    assert found["results"] == [] and found["total"] == 0


def test_search_results_snippets_and_facets(client, shelf):
    body = get_json(client, "/api/v1/search?q=UWorld&sort=new")
    assert [r["story"]["title"] for r in body["results"]] == ["CK with UWorld, passed", "CK with UWorld, failed"]
    assert body["total"] == 2 and body["page"] == 1 and body["has_next"] is False
    assert all(isinstance(r["snippet"], str) for r in body["results"])
    assert body["results"][0]["story"] == get_json(client, "/api/v1/stories?sort=new")["stories"][0]
    assert {"value": "step2ck", "label": "Step 2 CK", "count": 2} in body["facets"]["step"]
    outcomes = {f["value"]: f["count"] for f in body["facets"]["outcome"]}
    assert outcomes == {"passed": 1, "failed": 1}


def test_search_facet_parameters_narrow_the_results(client, shelf):
    body = get_json(client, "/api/v1/search?step=step2ck&step=step1&outcome=passed&resource=amboss")
    assert [r["story"]["title"] for r in body["results"]] == ["Step 1 with AMBOSS"]
    assert get_json(client, "/api/v1/search?attempt=retake")["total"] == 0
    assert get_json(client, "/api/v1/search?score_min=231&score_max=300")["total"] == 1  # 245; 230 and 200 are out
    assert get_json(client, "/api/v1/search?year=2023")["total"] == 1


@pytest.mark.parametrize(("url", "names"), [
    ("/api/v1/stories?step=step9", "step"),
    ("/api/v1/stories?step=", "step"),
    ("/api/v1/stories?step=step1&step=step3", "step"),
    ("/api/v1/stories?outcome=maybe", "outcome"),
    ("/api/v1/stories?background=martian", "background"),
    ("/api/v1/stories?sort=best", "sort"),
    ("/api/v1/stories?t=decade", "t"),
    ("/api/v1/stories?page=0", "page"),
    ("/api/v1/stories?page=501", "page"),
    ("/api/v1/stories?page=abc", "page"),
    ("/api/v1/stories?page=1.5", "page"),
    ("/api/v1/stories?per_page=101", "per_page"),
    ("/api/v1/stories?per_page=-1", "per_page"),
    ("/api/v1/stories?resource=Not%20A%20Slug", "resource"),
    ("/api/v1/stories?" + "&".join(f"resource=r{n}" for n in range(6)), "resource"),
    ("/api/v1/search?q=" + "a" * 201, "q"),
    ("/api/v1/search?step=step9", "step"),
    ("/api/v1/search?attempt=second", "attempt"),
    ("/api/v1/search?year=1800", "year"),
    ("/api/v1/search?score_min=0", "score_min"),
    ("/api/v1/search?score_max=301", "score_max"),
    ("/api/v1/search?sort=hot", "sort"),
    ("/api/v1/search?page=251", "page"),
])
def test_bad_parameters_are_a_json_400_naming_the_parameter(client, app, url, names):
    body = get_json(client, url, status=400)
    assert body["status"] == 400 and body["error"].startswith(f"{names}:")


def test_nul_in_the_query_string_is_a_json_400(client, app):
    assert get_json(client, "/api/v1/search?q=a%00b", status=400)["status"] == 400


@pytest.mark.parametrize("url", ["/api/v1/nothing-here", "/api/v1/", "/api/v1/stories/abc", "/api/v1/stories/-1",
                                 "/api/v1/stories/0", "/api/v1/stories/99999999999", "/api/v1/stories/1/comments"])
def test_unknown_paths_and_ids_are_a_json_404(client, app, url):
    assert get_json(client, url, status=404)["status"] == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_are_a_json_405_with_allow(client, app, method):
    response = client.open("/api/v1/stories", method=method)
    assert response.status_code == 405 and response.get_json()["status"] == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_the_site_keeps_its_html_error_pages(client, app):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_an_unexpected_error_is_a_json_500(client, app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("forum.api.routes.listing.list_stories", broken)
    assert get_json(client, "/api/v1/stories", status=500)["status"] == 500


def test_rate_limit_is_a_json_429_with_retry_after(client, app):
    with api_rate_limit(app, "3 per minute"):
        for _ in range(3):
            assert client.get("/api/v1/resources").status_code == 200
        response = client.get("/api/v1/stories")
        assert response.status_code == 429 and response.mimetype == "application/json"
        assert response.get_json()["status"] == 429
        assert int(response.headers["Retry-After"]) > 0
        assert client.get("/stories").status_code == 200  # the site's pages have limits of their own


def test_lists_are_cacheable_and_carry_the_security_headers(client, app):
    for url in ("/api/v1/stories", "/api/v1/resources", "/api/v1/search?q=ck"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "public, max-age=60"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_story_list_queries_do_not_grow_with_the_page(client, page_queries):
    """5 stories in the list or 25: the same statements, cold and warm, page cache off."""
    uw = make_resource("UW CK", slug="uw-ck", steps=["step2ck"])
    amboss = make_resource("AMBOSS")
    url = "/api/v1/stories?per_page=100"
    for n in range(5):
        make_story(title=f"Story {n}", resources=[uw, amboss])
    few = page_queries(url)
    assert len(get_json(client, url)["stories"]) == 5
    for n in range(20):
        make_story(title=f"Another story {n}", resources=[uw, amboss])
    assert page_queries(url) == few
    assert len(get_json(client, url)["stories"]) == 25


def test_openapi_document_describes_every_operation(client, app):
    document = get_json(client, "/api/v1/openapi.json")
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/stories", "/stories/{story_id}", "/resources", "/search", "/openapi.json",
                                      "/calibrations", "/predict"}
    assert {"Story", "StoryDetail", "Resource", "Error", "SearchResponse"} <= set(document["components"]["schemas"])
    assert document == api_schema.DOCUMENT


# Schemathesis: generated requests for every operation, each response checked against the document
# (status codes, content type, headers, body schema; no 5xx; bad input refused with a 4xx, good input accepted).
# The document is the dict the app serves (test_openapi_document_describes_every_operation checks they are equal):
# schemathesis' fixture-based loader does not run under pytest 9, and a module-level loader has no app yet.
document = schemathesis.openapi.from_dict(api_schema.DOCUMENT)


@pytest.fixture
def generous_limit(app):
    with api_rate_limit(app, "100000 per minute"):  # thousands of generated requests are not an attack
        yield


@document.parametrize()
@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_response_matches_the_openapi_document(case, app, client, shelf, generous_limit):
    # /predict refuses well-formed values the catalogue decides on (an unknown form, a score off its scale, a
    # month too far ahead) with a 400 naming them: schema-valid is not always acceptable there.
    excluded = [positive_data_acceptance] if case.operation.path == "/predict" else []
    case.call_and_validate(session=client, app=app, excluded_checks=excluded)


def test_responses_with_data_match_the_openapi_document(client, shelf):
    """Generated ids seldom exist: ask for real ones, so populated shapes are checked too."""
    with api_rate_limit(client.application, "100000 per minute"):
        served = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", client.application)
        story = shelf["ck_uw_pass_img"]
        cases = [
            served["/stories/{story_id}"]["GET"].Case(path_parameters={"story_id": story.id}),
            served["/stories/{story_id}"]["GET"].Case(path_parameters={"story_id": shelf["removed"].id}),
            served["/stories"]["GET"].Case(query={"sort": "top", "t": "all", "per_page": 100}),
            served["/search"]["GET"].Case(query={"q": "UWorld", "step": ["step2ck"]}),
            served["/resources"]["GET"].Case(),
            served["/openapi.json"]["GET"].Case(),
        ]
        statuses = [case.call_and_validate(session=client).status_code for case in cases]
    assert statuses == [200, 404, 200, 200, 200, 200]
