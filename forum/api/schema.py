"""The OpenAPI 3.1 document for /api/v1, built once from the same constants the views validate against.

The views (forum/api/routes.py) read these constants too, so a new step, outcome or sort reaches the document
and the validation together. tests/web/test_api.py drives every operation with schemathesis against it.
"""
import re

from .. import exam, loaders, ranking, search
from ..insights import predict_form
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
MAX_PRACTICE = predict_form.MAX_ROWS  # practice scores one /predict question may give, as on the page
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
# slug:score[:YYYY-MM-DD], the score as its report gave it (231, 72.5): what /predict reads
PRACTICE_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*:[0-9]{1,4}(\.[0-9]{1,2})?(:[0-9]{4}-[0-9]{2}-[0-9]{2})?$"


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


def _ref_or_null(name: str) -> dict:
    return {"oneOf": [_ref(name), {"type": "null"}]}


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
    "exam_month": {"type": "string", "pattern": MONTH_PATTERN, "description": "YYYY-MM."},
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

# The insights: a line, median or rate from fewer than 10 stories is null; the counts are always given.
NUMBER_OR_NULL = {"type": ["number", "null"]}
PERCENT_OR_NULL = {"type": ["number", "null"], "minimum": 0, "maximum": 100}
SHARE_OR_NULL = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
COUNT = {"type": "integer", "minimum": 0}
YEARS = {"type": ["array", "null"], "items": {"type": "integer"}, "minItems": 2, "maxItems": 2,
         "description": "The first and last exam years the calibrations use."}
SCHEMAS |= {
    "Calibration": _object({
        "slug": SLUG, "name": {"type": "string"}, "scale": SCALE,
        "n": {**COUNT, "description": "Stories that gave both this form's score and a real score."},
        "intercept": NUMBER_OR_NULL, "slope": NUMBER_OR_NULL,
        "r": {"type": ["number", "null"], "minimum": -1, "maximum": 1},
        "r_low": {"type": ["number", "null"], "minimum": -1, "maximum": 1,
                  "description": "r's 95% interval (Fisher's z)."},
        "r_high": {"type": ["number", "null"], "minimum": -1, "maximum": 1},
        "residual_sd": {"type": ["number", "null"], "minimum": 0},
        "half_width": {"type": ["number", "null"], "minimum": 0,
                       "description": "95% of candidates within ± this of the line, at the mean practice score."},
        "days_before": _object({
            "n": COUNT, "median": NUMBER_OR_NULL, "median_low": NUMBER_OR_NULL, "median_high": NUMBER_OR_NULL,
        }, "Days between the practice test and the exam, the median with its 95% interval."),
    }, "One self-assessment on one scale against the real result; the line's fields are null under 10 stories."),
    "PassBand": _object({
        "label": {"type": "string"}, "low": {"type": "integer"}, "high": {"type": "integer"},
        "n": COUNT, "passed": COUNT,
        "rate": PERCENT_OR_NULL, "rate_low": PERCENT_OR_NULL, "rate_high": PERCENT_OR_NULL,
    }, "Step 1: stories whose last NBME percent fell in [low, high], how many passed, and the pass rate (percent) "
       "with its 95% Wilson interval (null under 10 stories)."),
    "Measured": _object({
        "n": {**COUNT, "description": "Stories predicted, each from all the others."},
        "mean_abs_error": {"type": ["number", "null"], "minimum": 0, "description": "Points (3-digit steps)."},
        "coverage": {**SHARE_OR_NULL, "description": "Share of real scores inside the 95% range."},
        "brier": {**SHARE_OR_NULL, "description": "Step 1: mean of (outcome - chance)^2; 0.25 is a coin toss."},
        "accuracy": {**SHARE_OR_NULL, "description": "Step 1: share whose likelier outcome happened."},
        "note": {"type": "string"},
    }, "The predictor's error, measured by leaving each story out (flask insights validate)."),
    "Calibrations": _object({
        "step": STEP, "verified": {"type": "boolean"}, "practice_years": YEARS,
        "assessments": {"type": "array", "items": _ref("Calibration")},
        "pass_bands": {"type": "array", "items": _ref("PassBand")},
        "measured": _ref_or_null("Measured"),
        "method": {"type": "string"}, "caveat": {"type": "string"},
    }),
    "PracticeEntry": _object({
        "slug": SLUG, "scale": SCALE, "score": {"type": "number"},
        "taken_on": {"type": ["string", "null"], "format": "date"},
    }, "A practice score as the prediction read it: its scale decided by the form and the day."),
    "ScoreRange": _object({
        "predicted": {"type": "number"}, "low": {"type": "number"}, "high": {"type": "number"},
        "forms": {"type": "array", "items": _object({
            "slug": SLUG, "name": {"type": "string"}, "score": {"type": "number"}, "n": COUNT,
            "predicted": {"type": "number"}, "half_width": {"type": "number", "minimum": 0},
        })},
    }, "The predicted 3-digit score and its 95% range; each form's own line prediction."),
    "PassChance": _object({"last": _ref("PracticeEntry"), "band": _ref("PassBand")},
                          "Step 1: the band of the last NBME form given and how its stories ended."),
    "PassingStandard": _object({"score": {"type": "integer"}, "since": {"type": "string", "format": "date"},
                                "secondary_only": {"type": "boolean"}}),
    "SimilarStory": _object({
        "id": {"type": "integer", "minimum": 1},
        "url": {"type": "string", "format": "uri"},
        "title": {"type": "string"}, "outcome": OUTCOME,
        "score": {"type": ["integer", "null"]},
        "exam_month": {"type": "string", "pattern": MONTH_PATTERN},
        "background": {"type": ["string", "null"]},
        "verified": {"type": "boolean"},
        "distance": {"type": "number", "minimum": 0,
                     "description": "Mean gap over the forms both gave, in units of 10 points or 5 percent."},
        "shared": {"type": "array", "items": _object({
            "name": {"type": "string"}, "theirs": {"type": "number"}, "yours": {"type": "number"}, "scale": SCALE,
        })},
    }),
    "Prediction": _object({
        "step": STEP, "background": _nullable(BACKGROUND),
        "month": {"type": ["string", "null"], "pattern": MONTH_PATTERN},
        "verified": {"type": "boolean"},
        "practice": {"type": "array", "items": _ref("PracticeEntry")},
        "scored": {"type": "boolean", "description": "The exam reports a 3-digit score: a score range, else Step "
                                                     "1's pass chance."},
        "score_range": _ref_or_null("ScoreRange"),
        "pass_chance": _ref_or_null("PassChance"),
        "unused": {"type": "array", "items": SLUG, "description": "Forms given that the prediction could not use."},
        "passing_standard": _ref_or_null("PassingStandard"),
        "stories": COUNT,
        "practice_years": YEARS,
        "measured": _ref_or_null("Measured"),
        "method": {"type": "string"}, "caveat": {"type": "string"},
        "similar_stories": {"type": "array", "items": _ref("SimilarStory")},
    }, "What /predict answers: the range or pass chance, its measured error, the stories most like yours."),
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

CALIBRATION_PARAMETERS = [
    {**_query("step", STEP, "The step."), "required": True},
    RECORD_FILTERS[0],
]
PREDICT_PARAMETERS = [
    {**_query("step", {"type": "string", "enum": list(predict_form.PREDICTABLE)}, "The step (Step 2 CS had no "
              "self-assessments)."), "required": True},
    _query("background", BACKGROUND, "Your background: similar stories of it come first."),
    _query("month", {"type": "string", "pattern": MONTH_PATTERN},
           f"Planned exam month, YYYY-MM, up to {predict_form.MONTHS_AHEAD} months ahead: it decides the passing "
           "standard and whether the exam reports a score."),
    RECORD_FILTERS[0],
    {**_query("practice", {**_many({"type": "string", "pattern": PRACTICE_PATTERN, "maxLength": 100}),
                           "minItems": 1, "maxItems": MAX_PRACTICE},
              "slug:score or slug:score:YYYY-MM-DD, a self-assessment of the step and the score its report gave; "
              "repeat for each."), "required": True},
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
        "/calibrations": _get("getCalibrations", "Each self-assessment's line against the real result, Step 1's pass "
                              "bands, and the predictor's measured error.",
                              {"200": _ok("Calibrations", "The calibrations.", LIST_HEADERS), **_errors(400, 429)},
                              CALIBRATION_PARAMETERS),
        "/predict": _get("predict", "The predicted score range or pass chance for the practice scores given, with "
                         "its measured error and the most similar stories.",
                         {"200": _ok("Prediction", "The prediction.", LIST_HEADERS), **_errors(400, 429)},
                         PREDICT_PARAMETERS),
        "/openapi.json": _get("getOpenAPIDocument", "This document.",
                              {"200": {"description": "The OpenAPI 3.1 document.",
                                       "content": {"application/json": {"schema": {"type": "object"}}}},
                               **_errors(400, 429)}),
    },
    "components": {"schemas": SCHEMAS, "responses": RESPONSES},
}
