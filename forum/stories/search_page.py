"""The /search page: full text plus facets, on the stories blueprint (the query language is search_syntax.py,
the two backends search.py)."""
from flask import render_template, request

from .. import catalogue, exam, search
from ..caching import SEARCH, cached_page
from ..extensions import limiter
from . import bp, listing

# A person searching, paging and refining stays far below it; a scraper or a flood of rare-word queries does not.
SEARCH_LIMIT = "60 per minute"

FACET_TITLES = {"step": "Step", "resource": "Resource", "outcome": "Outcome", "background": "Background",
                "attempt": "Attempt", "year": "Exam year"}
ATTEMPT_WORDS = {"first": "first-attempt", "retake": "retake"}  # in the page title: "retake Step 1 stories"


@bp.route("/search")
@limiter.limit(SEARCH_LIMIT)
@cached_page(scopes=(SEARCH,), params=search.PARAMS, members=True)
def search_page():
    query = search.SearchRequest.from_args(request.args)
    result = search.search(query)
    args = {k: v for k, v in request.args.lists() if k != "page"}
    return render_template("stories/search.html", query=query, result=result, args=args, steps=exam.STEPS,
                           facet_titles=FACET_TITLES, heading=search_heading(query))


def search_heading(query: search.SearchRequest) -> str:
    """The page's <title> and <h1>, saying what is searched: 'Search', 'Search: uworld', 'Search: uworld in
    Step 1 stories that passed', 'Search: retake IMG stories from 2024'."""
    names = {r.slug: r.name for r in catalogue.all_resources()} if query.resources else {}
    stories = listing.describe_stories(
        steps=query.steps, outcomes=query.outcomes, backgrounds=query.backgrounds, verified=query.verified,
        resource_names=[names.get(slug, slug) for slug in query.resources], journey=query.journey,
        extra_words=[ATTEMPT_WORDS.get(query.attempt, "")])
    if query.year:
        stories += f" from {query.year}"
    if query.score_min or query.score_max:
        stories += (f", scoring {query.score_min}–{query.score_max}" if query.score_min and query.score_max
                    else f", scoring {query.score_min} or more" if query.score_min
                    else f", scoring {query.score_max} or less")
    filtered = stories != "stories"
    if not query.text:
        return f"Search: {stories}" if filtered else "Search"
    return f"Search: {query.text}" + (f" in {stories}" if filtered else "")
