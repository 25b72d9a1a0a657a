"""GET-only JSON views over published stories, search and the catalogue; errors as JSON `{error, status}`.

Unlike the HTML listing, which ignores what it does not understand, the API answers a bad parameter with a 400
that names it: a program calling us should learn of its mistake. Parameters and limits come from
forum/api/schema.py, which the OpenAPI document is built from.
"""
import time

import sqlalchemy as sa
from flask import abort, current_app, jsonify, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from .. import caching, errors, exam, loaders, ranking, search
from ..caching import cached_page
from ..extensions import db, limiter
from ..models import BACKGROUNDS, PracticeScore, Resource, Story, StoryResource
from ..record_filters import JOURNEYS
from ..stories import listing
from ..urls import resource_url, story_url
from . import bp, schema

LIST_CACHE_CONTROL = "public, max-age=60"  # a minute's staleness is harmless for lists and spares the database


@bp.route("/stories")
@cached_page(params=(*listing.PARAMS, "per_page"))
def stories():
    filters = listing.Filters(
        step=one("step", exam.STEP_CODES), outcome=one("outcome", exam.OUTCOMES),
        background=one("background", BACKGROUNDS), resources=resource_slugs(),
        verified=one("verified", schema.VERIFIED) == "1", journey=one("journey", JOURNEYS),
        sort=one("sort", listing.SORTS) or "hot", window=one("t", ranking.TOP_WINDOWS) or "week",
        page=number("page", low=1, high=listing.MAX_PAGE, default=1))
    per_page = number("per_page", low=1, high=schema.MAX_PER_PAGE, default=listing.PAGE_SIZE)
    page = listing.list_stories(filters, page_size=per_page)
    return cacheable({"stories": [story_summary(s) for s in page.items], "page": page.number,
                      "has_next": page.has_next})


@bp.route("/stories/<int:story_id>")
@cached_page(scopes=lambda story_id: [caching.story(story_id)])
def story(story_id: int):
    """A published story; deleted, removed and unknown ids are all the same 404 (moderators use the site)."""
    found = loaders.story_or_404(story_id, details=True, published_only=True,
                                 missing=f"There is no published story {story_id}.")
    return jsonify(story_detail(found))


@bp.route("/resources")
@cached_page()
def resources():
    rows = db.session.scalars(sa.select(Resource).order_by(Resource.name, Resource.id))
    return cacheable({"resources": [resource_entry(r) for r in rows]})


@bp.route("/search")
@cached_page(scopes=(caching.SEARCH,), params=(*search.PARAMS, "per_page"))
def search_stories():
    score_min = number("score_min", low=exam.MIN_SCORE, high=exam.MAX_SCORE, default=None)
    score_max = number("score_max", low=exam.MIN_SCORE, high=exam.MAX_SCORE, default=None)
    query = search.SearchRequest(
        text=text("q", max_chars=schema.MAX_QUERY_CHARS), steps=many("step", exam.STEP_CODES),
        resources=resource_slugs(), outcomes=many("outcome", exam.OUTCOMES),
        backgrounds=many("background", BACKGROUNDS), attempt=one("attempt", schema.ATTEMPTS),
        year=number("year", low=schema.FIRST_EXAM_YEAR, high=schema.LAST_SEARCH_YEAR, default=None),
        score_min=score_min, score_max=score_max,
        verified=one("verified", schema.VERIFIED) == "1", journey=one("journey", JOURNEYS),
        sort=one("sort", search.SORTS) or "relevance",
        page=number("page", low=1, high=search.MAX_PAGE, default=1))
    result = search.search(query)
    return cacheable({
        "results": [{"story": story_summary(s), "snippet": str(result.snippets.get(s.id, ""))}
                     for s in result.stories],
        "facets": {name: [{"value": str(f.value), "label": f.label, "count": f.count} for f in values]
                   for name, values in result.facets.items()},
        "total": result.total, "page": result.page, "has_next": result.has_next,
    })


@bp.route("/openapi.json")
def openapi():
    response = jsonify(schema.DOCUMENT)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.before_app_request
def json_routing_errors():
    """Answer an unknown /api/v1 path, or a method the API does not offer, in JSON.

    Flask raises these while routing, before any blueprint is chosen, so only the app's HTML handlers would see
    them; an app-wide hook that looks at the routing result first is the one place to catch them.
    """
    error = request.routing_exception
    inside = request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/")
    if not inside or not isinstance(error, HTTPException) or isinstance(error, RequestRedirect):
        return None
    if isinstance(error, NotFound):
        error = NotFound(description=f"There is no {request.path} in this API.")
    elif isinstance(error, MethodNotAllowed):
        allowed = sorted(error.valid_methods or [])
        message = f"{request.path} answers only {', '.join(allowed)}."
        error = MethodNotAllowed(valid_methods=allowed, description=message)
    return json_error(error)


@bp.errorhandler(HTTPException)
def json_error(error: HTTPException):
    """Blueprint handlers win over the app's HTML error pages for errors raised in this blueprint's requests."""
    code = error.code or 500
    message = error.description or "Error"
    if isinstance(error, RateLimitExceeded):
        message = f"Too many requests: the limit is {error.description}."
    response = jsonify(error=message, status=code)
    response.status_code = code
    for name, value in error.get_headers():  # Allow on a 405
        if name.lower() != "content-type":
            response.headers[name] = value
    if code == 429 and "Retry-After" not in response.headers:
        current = limiter.current_limit  # the limiter also sets it when its headers are on; this is the fallback
        response.headers["Retry-After"] = str(max(1, int(current.reset_at - time.time())) if current else 60)
    return response


# Blueprint handlers are searched before the app's, so the outage handler is named here too, ahead of Exception.
for _error_class in errors.DATABASE_OUTAGE:
    bp.register_error_handler(_error_class, errors.database_unavailable)


@bp.errorhandler(Exception)
def json_server_error(error: Exception):
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    response = jsonify(error="Something went wrong on our side; it has been logged.", status=500)
    response.status_code = 500
    return response


def cacheable(payload: dict):
    response = jsonify(payload)
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return response


# Reading parameters: each either returns a valid value or aborts with a 400 that names the parameter.

def bad(message: str):
    abort(400, description=message)


def one(name: str, allowed=None) -> str:
    """A parameter given at most once; "" when absent."""
    values = request.args.getlist(name)
    if len(values) > 1:
        bad(f"{name}: give it at most once.")
    if not values:
        return ""
    if allowed is not None and values[0] not in allowed:
        bad(f"{name}: must be one of {', '.join(allowed)}.")
    return values[0]


def many(name: str, allowed) -> list[str]:
    values = request.args.getlist(name)
    for value in values:
        if value not in allowed:
            bad(f"{name}: each value must be one of {', '.join(allowed)}.")
    return values


def number(name: str, *, low: int, high: int, default: int | None) -> int | None:
    raw = one(name) if name in request.args else None
    if raw is None:
        return default
    digits = raw[1:] if raw.startswith("-") else raw
    if not (digits.isascii() and digits.isdigit()) or not low <= int(raw) <= high:
        bad(f"{name}: must be a whole number from {low} to {high}.")
    return int(raw)


def text(name: str, *, max_chars: int) -> str:
    value = one(name)
    if len(value) > max_chars:
        bad(f"{name}: at most {max_chars} characters.")
    return value.strip()


def resource_slugs() -> list[str]:
    slugs = request.args.getlist("resource")
    if len(slugs) > schema.MAX_RESOURCE_FILTERS:
        bad(f"resource: at most {schema.MAX_RESOURCE_FILTERS}.")
    if any(not schema.SLUG_RE.fullmatch(slug) or len(slug) > 80 for slug in slugs):
        bad("resource: a slug is lowercase letters and digits joined by single hyphens.")
    return slugs


# Shapes: one function per schema in forum/api/schema.py, named alike.

def story_summary(story: Story) -> dict:
    return {
        "id": story.id,
        "url": story_url(story, external=True),
        "title": story.title,
        "author": {"username": story.author.username, "background": story.background},
        "step": story.step,
        "exam_month": f"{story.exam_month:%Y-%m}",
        "attempt": story.attempt,
        "outcome": story.outcome,
        "score": story.score,
        "prep_weeks": story.prep_weeks,
        "votes": story.votes,
        "comment_count": story.comment_count,
        "created_at": story.created_at.isoformat(timespec="seconds") + "Z",  # stored as naive UTC
        "verified_on": story.verified_at.date().isoformat() if story.verified_at else None,
        "resources": [story_resource(link) for link in story.resource_links],
    }


def story_resource(link: StoryResource) -> dict:
    return {"slug": link.resource.slug, "name": link.resource.name, "rating": link.rating, "note": link.note}


def story_detail(story: Story) -> dict:
    return {
        **story_summary(story),
        "body": story.body,
        "body_html": story.body_html,
        "practice_scores": [practice_score(p) for p in story.practice_scores],
        "passing_standard": exam.passing_score(story.step, story.exam_month),
    }


def practice_score(entry: PracticeScore) -> dict:
    score = entry.score
    return {
        "assessment": {"slug": entry.resource.slug, "name": entry.resource.name, "scale": entry.resource.scale},
        "score": int(score) if float(score).is_integer() else score,
        "scale": entry.scale,
        "taken_on": entry.taken_on.isoformat(),
    }


def resource_entry(resource: Resource) -> dict:
    return {
        "slug": resource.slug,
        "name": resource.name,
        "url": resource_url(resource, external=True),
        "kind": resource.kind,
        "steps": resource.step_codes,
        "scale": resource.scale,
        "description": resource.description,
        "story_count": resource.story_count,
    }
