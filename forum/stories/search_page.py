"""The /search page: full text plus facets, on the stories blueprint (the query language is search_syntax.py,
the two backends search.py)."""
from flask import render_template, request

from .. import exam, search
from ..caching import SEARCH, cached_page
from ..extensions import limiter
from . import bp

# A person searching, paging and refining stays far below it; a scraper or a flood of rare-word queries does not.
SEARCH_LIMIT = "60 per minute"

FACET_TITLES = {"step": "Step", "resource": "Resource", "outcome": "Outcome", "background": "Background",
                "attempt": "Attempt", "year": "Exam year"}


@bp.route("/search")
@limiter.limit(SEARCH_LIMIT)
@cached_page(scopes=(SEARCH,), params=search.PARAMS, members=True)
def search_page():
    query = search.SearchRequest.from_args(request.args)
    result = search.search(query)
    args = {k: v for k, v in request.args.lists() if k != "page"}
    return render_template("stories/search.html", query=query, result=result, args=args, steps=exam.STEPS,
                           facet_titles=FACET_TITLES)
