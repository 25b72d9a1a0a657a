"""The OpenAPI 3.1 document for /api/v1, built once from the same constants the views validate against.

The views (forum/api/routes.py) read these constants too, so a new step, outcome or sort reaches the document
and the validation together. tests/web/test_api.py drives every operation with schemathesis against it.
"""
import re

from .. import exam, loaders, ranking, search
from ..models import BACKGROUNDS, RESOURCE_KINDS
from ..record_filters import JOURNEYS
from ..stories import listing

API_VERSION = "1.0.0"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"  # as the catalogue form requires (forum/resources/forms.py)
SLUG_RE = re.compile(SLUG_PATTERN)
NO_NUL_PATTERN = r"^[^\u0000]*$"  # the app refuses NUL anywhere in a URL (forum/security.py)
MAX_RESOURCE_FILTERS = 5  # each is an EXISTS in the query; the HTML listing stops at five as well
MAX_PER_PAGE = 100
MAX_QUERY_CHARS = 200  # the longest search the site's own search box sends
MAX_STORY_ID = loaders.MAX_ID  # the id column is a 32-bit integer on PostgreSQL
FIRST_EXAM_YEAR = min(step.first_exam_month.year for step in exam.STEPS.values())
LAST_SEARCH_YEAR = 2100  # a bound so the year always makes a valid date; later years simply match nothing
ATTEMPTS = ("first", "retake")
PRACTICE_SCALES = tuple(exam.PRACTICE_SCALES)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    """The schema, or null: JSON Schema 2020-12 (OpenAPI 3.1) spells it as a type list."""
    out = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        out["enum"] = [*schema["enum"], None]
    return out


def _object(properties: dict, description: str = "") -> dict:
    schema = {"type": "object", "properties": properties, "required": list(properties),
              "additionalProperties": False}
    return {"description": description, **schema} if description else schema


STEP = {"type": "string", "enum": list(exam.STEP_CODES), "description": "Exam step code."}
OUTCOME = {"type": "string", "enum": list(exam.OUTCOMES)}
BACKGROUND = {"type": "string", "enum": list(BACKGROUNDS), "description": "Training background."}
SLUG = {"type": "string", "pattern": SLUG_PATTERN, "minLength": 1, "maxLength": 80}
SCALE = {"type": "string", "enum": list(PRACTICE_SCALES)}

STORY_PROPERTIES = {
    "id": {"type": "integer", "minimum": 1},
    "url": {"type": "string", "format": "uri", "description": "The story's page on the site."},
    "title": {"type": "string"},
    "author": _object({
        "username": {"type": "string"},
        "background": _nullable({**BACKGROUND, "description": "The background the author gave with this story."}),
    }),
    "step": STEP,
    "exam_month": {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "description": "YYYY-MM."},
    "attempt": {"type": "integer", "minimum": exam.MIN_ATTEMPT, "maximum": exam.MAX_ATTEMPT},
    "outcome": OUTCOME,
    "score": _nullable({"type": "integer", "minimum": exam.MIN_SCORE, "maximum": exam.MAX_SCORE,
                        "description": "The 3-digit score, where the step reported one and the author gave it."}),
    "prep_weeks": _nullable({"type": "integer", "minimum": exam.MIN_PREP_WEEKS, "maximum": exam.MAX_PREP_WEEKS}),
    "votes": {"type": "integer"},
    "comment_count": {"type": "integer", "minimum": 0},
    "created_at": {"type": "string", "format": "date-time", "description": "RFC 3339, UTC."},
    "verified_on": _nullable({"type": "string", "format": "date",
                              "description": "The day a moderator verified the outcome against the author's score "
                                             "report (the report was then deleted); null if not verified."}),
    "resources": {"type": "array", "items": _ref("StoryResource")},
}
DETAIL_PROPERTIES = {
    **STORY_PROPERTIES,
    "body": {"type": "string", "description": "Markdown source."},
    "body_html": {"type": "string", "description": "The body rendered and sanitised, as the site shows it."},
    "practice_scores": {"type": "array", "items": _ref("PracticeScore")},
    "passing_standard": _nullable({"type": "integer", "minimum": exam.MIN_SCORE, "maximum": exam.MAX_SCORE,
                                   "description": "The passing standard the reported score was judged against; "
                                                  "null where the exam reported no score."}),
}

SCHEMAS = {
    "Error": _object({"error": {"type": "string"}, "status": {"type": "integer", "minimum": 400, "maximum": 599}}),
    "StoryResource": _object({
        "slug": SLUG, "name": {"type": "string"},
        "rating": _nullable({"type": "integer", "minimum": 1, "maximum": 5, "description": "Helpfulness, 1-5."}),
        "note": {"type": "string"},
    }),
    "PracticeScore": _object({
        "assessment": _object({"slug": SLUG, "name": {"type": "string"}, "scale": _nullable(SCALE)}),
        "score": {"type": "number"},
        "scale": {**SCALE, "description": "The scale of this score, decided by the assessment and the day it was "
                                          "taken (Step 1 NBME forms report a percent from February 2022)."},
        "taken_on": {"type": "string", "format": "date"},
    }),
    "Story": _object(STORY_PROPERTIES, "A story as listings show it."),
    "StoryDetail": _object(DETAIL_PROPERTIES, "A story with its text, practice scores and the passing standard."),
    "StoryList": _object({"stories": {"type": "array", "items": _ref("Story")},
                          "page": {"type": "integer", "minimum": 1}, "has_next": {"type": "boolean"}}),
    "Resource": _object({
        "slug": SLUG, "name": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "kind": {"type": "string", "enum": list(RESOURCE_KINDS)},
        "steps": {"type": "array", "items": STEP},
        "scale": _nullable({**SCALE, "description": "Self-assessments only: how their scores read."}),
        "description": {"type": "string"},
        "story_count": {"type": "integer", "minimum": 0, "description": "Published stories that name it."},
    }),
    "ResourceList": _object({"resources": {"type": "array", "items": _ref("Resource")}}),
    "Facet": _object({"value": {"type": "string", "description": "Pass it back as the parameter of that name."},
                      "label": {"type": "string"}, "count": {"type": "integer", "minimum": 0}}),
    "SearchResult": _object({"story": _ref("Story"),
                             "snippet": {"type": "string", "description": "Escaped HTML; matches in <mark>."}}),
    "SearchResponse": _object({
        "results": {"type": "array", "items": _ref("SearchResult")},
        "facets": {"type": "object", "description": "Counts over every match, by facet parameter name.",
                   "additionalProperties": {"type": "array", "items": _ref("Facet")}},
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "has_next": {"type": "boolean"},
    }),
}


def _query(name: str, schema: dict, description: str) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if schema.get("type") == "array":
        parameter.update(style="form", explode=True)
    return parameter


def _page(maximum: int) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": maximum, "default": 1}


def _many(items: dict) -> dict:
    return {"type": "array", "items": items}


VERIFIED = ("0", "1")
RECORD_FILTERS = [
    _query("verified", {"type": "string", "enum": list(VERIFIED)},
           "1: only stories whose outcome a moderator verified against the author's score report."),
    _query("journey", {"type": "string", "enum": list(JOURNEYS)},
           "failed-then-passed: only stories in a retake journey with a failed attempt followed by a pass."),
]
RESOURCE_FILTER = _query("resource", {**_many(SLUG), "maxItems": MAX_RESOURCE_FILTERS},
                         "A resource slug; repeat for stories that used all of them.")
LISTING_PARAMETERS = [
    _query("step", STEP, "Only this step."),
    RESOURCE_FILTER,
    _query("outcome", OUTCOME, "Only this outcome."),
    _query("background", BACKGROUND, "Only stories by authors of this background."),
    *RECORD_FILTERS,
    _query("sort", {"type": "string", "enum": list(listing.SORTS), "default": "hot"}, "Order."),
    _query("t", {"type": "string", "enum": list(ranking.TOP_WINDOWS), "default": "week"},
           "The window of sort=top; ignored by the other sorts."),
    _query("page", _page(listing.MAX_PAGE), "Page number."),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": listing.PAGE_SIZE},
           "Stories per page."),
]
SEARCH_PARAMETERS = [
    _query("q", {"type": "string", "maxLength": MAX_QUERY_CHARS, "pattern": NO_NUL_PATTERN},
           'Words, "phrases", -exclusions and OR. Empty: every story, narrowed by the facets.'),
    _query("step", _many(STEP), "Any of these steps; repeatable."),
    RESOURCE_FILTER,
    _query("outcome", _many(OUTCOME), "Any of these outcomes; repeatable."),
    _query("background", _many(BACKGROUND), "Any of these backgrounds; repeatable."),
    _query("attempt", {"type": "string", "enum": list(ATTEMPTS)}, "First attempts or retakes."),
    _query("year", {"type": "integer", "minimum": FIRST_EXAM_YEAR, "maximum": LAST_SEARCH_YEAR}, "Exam year."),
    _query("score_min", {"type": "integer", "minimum": exam.MIN_SCORE, "maximum": exam.MAX_SCORE},
           "Lowest 3-digit score (stories without one are left out)."),
    _query("score_max", {"type": "integer", "minimum": exam.MIN_SCORE, "maximum": exam.MAX_SCORE},
           "Highest 3-digit score (stories without one are left out)."),
    *RECORD_FILTERS,
    _query("sort", {"type": "string", "enum": list(search.SORTS), "default": "relevance"}, "Order."),
    _query("page", _page(search.MAX_PAGE), f"Page number; {search.PAGE_SIZE} results a page."),
]

LIST_HEADERS = {"Cache-Control": {"description": "Lists may be cached for a minute.", "schema": {"type": "string"}}}
RESPONSES = {
    "BadRequest": {"description": "A parameter is not valid; `error` says which.",
                   "content": {"application/json": {"schema": _ref("Error")}}},
    "NotFound": {"description": "No such story (or it was deleted or removed), or no such path.",
                 "content": {"application/json": {"schema": _ref("Error")}}},
    "TooManyRequests": {
        "description": "Rate limited.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "required": True,
                                    "schema": {"type": "integer", "minimum": 0}}},
        "content": {"application/json": {"schema": _ref("Error")}},
    },
    "ServiceUnavailable": {"description": "Search is not available.",
                           "content": {"application/json": {"schema": _ref("Error")}}},
}


def _ok(schema: str, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}
    return {**response, "headers": headers} if headers else response


def _errors(*codes: int) -> dict:
    names = {400: "BadRequest", 404: "NotFound", 429: "TooManyRequests", 503: "ServiceUnavailable"}
    return {str(code): {"$ref": f"#/components/responses/{names[code]}"} for code in codes}


def _get(operation_id: str, summary: str, responses: dict, parameters: list | None = None) -> dict:
    operation = {"operationId": operation_id, "summary": summary, "responses": responses}
    return {"get": {**operation, "parameters": parameters} if parameters else operation}


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Step Stories API",
        "version": API_VERSION,
        "description": "Read-only JSON over published USMLE prep stories and the resource catalogue. Deleted and "
                       "removed stories never appear. Every error is JSON `{error, status}`. Rate limited per "
                       "client address.",
    },
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/stories": _get("listStories", "Published stories, filtered and sorted as on /stories.",
                         {"200": _ok("StoryList", "A page of stories.", LIST_HEADERS), **_errors(400, 429)},
                         LISTING_PARAMETERS),
        "/stories/{story_id}": _get(
            "getStory", "One published story with its exam record, resources and practice scores.",
            {"200": _ok("StoryDetail", "The story."), **_errors(400, 404, 429)},
            [{"name": "story_id", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_STORY_ID}}]),
        "/resources": _get("listResources", "The resource catalogue, by name.",
                           {"200": _ok("ResourceList", "Every resource.", LIST_HEADERS), **_errors(400, 429)}),
        "/search": _get("searchStories", "Full-text search with facet counts.",
                        {"200": _ok("SearchResponse", "A page of results.", LIST_HEADERS),
                         **_errors(400, 429, 503)},
                        SEARCH_PARAMETERS),
        "/openapi.json": _get("getOpenAPIDocument", "This document.",
                              {"200": {"description": "The OpenAPI 3.1 document.",
                                       "content": {"application/json": {"schema": {"type": "object"}}}},
                               **_errors(400, 429)}),
    },
    "components": {"schemas": SCHEMAS, "responses": RESPONSES},
}
