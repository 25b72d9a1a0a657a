"""The /search page: full text plus facets, on the stories blueprint."""
import re

from flask import render_template, request

from .. import exam, search
from ..caching import cached_for_anonymous
from ..models import BACKGROUNDS
from ..search_query import MAX_QUERY_CHARS
from . import bp


def int_arg(name: str, low: int, high: int) -> int | None:
    value = request.args.get(name, "")
    return int(value) if re.fullmatch(r"\d{1,4}", value) and low <= int(value) <= high else None


def query_from_args() -> search.SearchQuery:
    """Read the query string, keeping only values we know; anything else is ignored, never an error."""
    pick = lambda name, allowed: [v for v in request.args.getlist(name) if v in allowed][:10]  # noqa: E731
    return search.SearchQuery(
        text=(request.args.get("q") or "")[:MAX_QUERY_CHARS],
        steps=pick("step", exam.STEPS), resources=[s for s in request.args.getlist("resource") if s][:5],
        outcomes=pick("outcome", exam.OUTCOMES), backgrounds=pick("background", BACKGROUNDS),
        attempt=request.args.get("attempt") if request.args.get("attempt") in ("first", "retake") else "",
        year=int_arg("year", 1990, 2100),
        score_min=int_arg("score_min", 1, 300), score_max=int_arg("score_max", 1, 300),
        sort=request.args.get("sort") if request.args.get("sort") in search.SORTS else "relevance",
        page=int_arg("page", 1, search.MAX_PAGE) or 1)


@bp.route("/search")
@cached_for_anonymous
def search_page():
    query = query_from_args()
    result = search.search(query)
    args = {k: v for k, v in request.args.lists() if k != "page"}
    return render_template("stories/search.html", query=query, result=result, args=args, steps=exam.STEPS,
                           facet_titles={"step": "Step", "resource": "Resource", "outcome": "Outcome",
                                         "background": "Background", "attempt": "Attempt", "year": "Exam year"},
                           facet_params={"step": "step", "resource": "resource", "outcome": "outcome",
                                         "background": "background", "attempt": "attempt", "year": "year"})
