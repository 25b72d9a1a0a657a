"""Search: one interface, two backends (SQLite FTS5, PostgreSQL tsvector), the same results on both.

search(SearchRequest) finds published stories whose own text — title, body, and the words in search_extra (step,
outcome, attempt, background, year, resource names and aliases) — or one of whose comments matches the query,
narrowed by facets, with counts per facet value over the matched set. Relevance is defined the same way on both
databases so they agree: a title hit first, then upvotes, then the newest. Snippets are cut and highlighted in
Python from the stored text, escaped before <mark> is added.
"""
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from . import caching, exam, markup
from .extensions import db
from .models import BACKGROUNDS, Comment, Resource, Story, StoryResource
from .search_syntax import MAX_QUERY_CHARS, ParsedQuery, fts5_match, parse, tsquery

PAGE_SIZE = 20
MAX_PAGE = 250
SNIPPET_CHARS = 220
RESOURCE_FACETS = 15  # the most used resources in the matched set; the rest are one search away
SORTS = {"relevance": "Relevance", "new": "New", "top": "Top"}  # orders and their tab labels


PARAMS = ("q", "step", "resource", "outcome", "background", "attempt", "year", "score_min", "score_max", "sort",
          "page")  # what SearchRequest.from_args reads


@dataclass
class SearchRequest:
    """What a reader asked for: the words (parsed by search_syntax), the facets, a sort and a page."""
    text: str = ""
    steps: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)  # slugs: a story must use all of them
    outcomes: list[str] = field(default_factory=list)
    backgrounds: list[str] = field(default_factory=list)
    attempt: str = ""  # "" | "first" | "retake"
    year: int | None = None
    score_min: int | None = None
    score_max: int | None = None
    sort: str = "relevance"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "SearchRequest":
        """Read the /search query string, keeping only values we know; anything else is ignored, never an error."""
        def pick(name: str, allowed) -> list[str]:
            return [v for v in args.getlist(name) if v in allowed][:10]

        def number(name: str, low: int, high: int) -> int | None:
            value = args.get(name, "")
            return int(value) if re.fullmatch(r"\d{1,4}", value) and low <= int(value) <= high else None

        return cls(text=(args.get("q") or "")[:MAX_QUERY_CHARS],
                   steps=pick("step", exam.STEPS), resources=[s for s in args.getlist("resource") if s][:5],
                   outcomes=pick("outcome", exam.OUTCOMES), backgrounds=pick("background", BACKGROUNDS),
                   attempt=args.get("attempt") if args.get("attempt") in ("first", "retake") else "",
                   year=number("year", 1990, 2100),
                   score_min=number("score_min", 1, 300), score_max=number("score_max", 1, 300),
                   sort=args.get("sort") if args.get("sort") in SORTS else "relevance",
                   page=number("page", 1, MAX_PAGE) or 1)


@dataclass
class Facet:
    value: str
    label: str
    count: int


@dataclass
class SearchResult:
    stories: list[Story]
    snippets: dict[int, Markup]
    facets: dict[str, list[Facet]]
    total: int
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def number(self) -> int:
        return self.page


def story_text(story: Story, resources: list[Resource]) -> str:
    """The extra words a story is found by, so 'CK uworld failed first attempt' finds what it describes."""
    step = exam.STEPS.get(story.step)
    words = [step.label if step else "", step.short if step else "", exam.OUTCOMES.get(story.outcome, ""),
             exam.ordinal_attempt(story.attempt) if story.attempt else "", "retake" if (story.attempt or 1) > 1 else "",
             BACKGROUNDS.get(story.background or "", ""), str(story.exam_month.year) if story.exam_month else ""]
    for resource in resources:
        words.append(resource.name)
        words.extend(alias.alias_key for alias in resource.aliases)
    return " ".join(w for w in words if w)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _matching_ids(query: ParsedQuery) -> sa.Select | None:
    """Ids of stories whose own text or one of whose published comments matches the positive terms."""
    if not query.required:
        return None
    if _dialect() == "postgresql":
        ts = sa.func.to_tsquery("simple", tsquery(query.required))
        own = sa.select(Story.id).where(sa.literal_column("stories.search_vector").op("@@")(ts))
        via_comments = sa.select(Comment.story_id).where(
            Comment.status == "published", sa.literal_column("comments.search_vector").op("@@")(ts))
    else:
        match = fts5_match(query.required)
        own = sa.select(sa.literal_column("rowid")).select_from(sa.table("search_stories")).where(
            sa.text("search_stories MATCH :own_match").bindparams(own_match=match))
        via_comments = sa.select(Comment.story_id).where(Comment.status == "published", Comment.id.in_(
            sa.select(sa.literal_column("rowid")).select_from(sa.table("search_comments")).where(
                sa.text("search_comments MATCH :comment_match").bindparams(comment_match=match))))
    return sa.union(own, via_comments)


def _excluded_ids(query: ParsedQuery) -> sa.Select | None:
    if not query.excluded:
        return None
    groups = [[phrase] for phrase in query.excluded]
    if _dialect() == "postgresql":
        ts = sa.func.to_tsquery("simple", " | ".join(f"({tsquery([g])})" for g in groups))
        return sa.select(Story.id).where(sa.literal_column("stories.search_vector").op("@@")(ts))
    match = " OR ".join(fts5_match([g]) for g in groups)
    return sa.select(sa.literal_column("rowid")).select_from(sa.table("search_stories")).where(
        sa.text("search_stories MATCH :excluded_match").bindparams(excluded_match=match))


def _title_hit(query: ParsedQuery):
    """1 where the title alone matches the positive terms, else 0: the first key of relevance."""
    if not query.required:
        return sa.literal(0)
    if _dialect() == "postgresql":
        ts = sa.func.to_tsquery("simple", tsquery(query.required))
        return sa.case((sa.func.to_tsvector("simple", Story.title).op("@@")(ts), 1), else_=0)
    titles = sa.select(sa.literal_column("rowid")).select_from(sa.table("search_stories_title")).where(
        sa.text("search_stories_title MATCH :title_match").bindparams(title_match=fts5_match(query.required)))
    return sa.case((Story.id.in_(titles), 1), else_=0)


def _filtered(q: SearchRequest, parsed: ParsedQuery) -> sa.Select:
    """The matched set: published stories passing the text and every facet."""
    statement = sa.select(Story.id).where(Story.status == "published")
    matching = _matching_ids(parsed)
    if matching is not None:
        statement = statement.where(Story.id.in_(matching))
    excluded = _excluded_ids(parsed)
    if excluded is not None:
        statement = statement.where(Story.id.not_in(excluded))
    if q.steps:
        statement = statement.where(Story.step.in_(q.steps))
    if q.outcomes:
        statement = statement.where(Story.outcome.in_(q.outcomes))
    if q.backgrounds:
        statement = statement.where(Story.background.in_(q.backgrounds))
    if q.attempt == "first":
        statement = statement.where(Story.attempt == 1)
    elif q.attempt == "retake":
        statement = statement.where(Story.attempt > 1)
    if q.year:
        from datetime import date

        statement = statement.where(Story.exam_month >= date(q.year, 1, 1), Story.exam_month < date(q.year + 1, 1, 1))
    if q.score_min is not None:
        statement = statement.where(Story.score >= q.score_min)
    if q.score_max is not None:
        statement = statement.where(Story.score <= q.score_max)
    for slug in q.resources:
        statement = statement.where(sa.select(StoryResource.story_id).join(Resource).where(
            Resource.slug == slug, StoryResource.story_id == Story.id).exists())
    return statement


def search(q: SearchRequest) -> SearchResult:
    """The page of stories, the facet counts and the total.

    A common word matches most of the table, so the ranking and the counts are the expensive part (see README,
    Performance); they are kept in the site cache until the next write, for signed-in readers too.
    """
    parsed = parse(q.text)
    page = min(max(q.page, 1), MAX_PAGE)
    ids, has_next, found, total = caching.memoize("search", _rank, q, page)
    loaded = {story.id: story for story in db.session.scalars(
        sa.select(Story).where(Story.id.in_(ids)).options(selectinload(Story.resource_links)))}
    stories = [loaded[i] for i in ids if i in loaded]
    return SearchResult(stories=stories, snippets={s.id: snippet(s, parsed) for s in stories},
                        facets=found, total=total, page=page, has_next=has_next)


def _rank(q: SearchRequest, page: int) -> tuple[list[int], bool, dict[str, list[Facet]], int]:
    """Two statements whatever the query: the ids of one page, and every facet count plus the total at once."""
    parsed = parse(q.text)
    matched = _filtered(q, parsed)
    order = {
        "new": [Story.created_at.desc(), Story.id.desc()],
        "top": [Story.votes.desc(), Story.created_at.desc(), Story.id.desc()],
    }.get(q.sort, [_title_hit(parsed).desc(), Story.votes.desc(), Story.created_at.desc(), Story.id.desc()])
    ids = list(db.session.scalars(
        sa.select(Story.id).where(Story.id.in_(matched)).order_by(*order)
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    found, total = facets(matched)
    return ids[:PAGE_SIZE], len(ids) > PAGE_SIZE, found, total


def facets(matched: sa.Select) -> tuple[dict[str, list[Facet]], int]:
    """Counts per facet value over the matched set, and its size, in one statement.

    The matched set is computed once (a MATERIALIZED common table expression) and every facet groups it: a common
    word matches most stories, and evaluating the full-text match once per facet was most of a search's time.
    Choosing a value shows exactly the stories counted for it.
    """
    columns = (sa.select(Story.id, Story.step, Story.outcome, Story.background, Story.attempt, Story.exam_month)
               .where(Story.id.in_(matched)))
    m = columns.cte("matched").prefix_with("MATERIALIZED")

    def part(name: str, value):
        value = sa.cast(value, sa.String)
        return sa.select(sa.literal(name).label("facet"), value.label("value"), sa.func.count().label("n")) \
            .select_from(m).group_by(value)

    parts = [
        part("step", m.c.step), part("outcome", m.c.outcome), part("background", m.c.background),
        part("attempt", sa.case((m.c.attempt == 1, "first"), else_="retake")),
        part("year", sa.extract("year", m.c.exam_month)),
        sa.select(sa.literal("resource"), sa.cast(StoryResource.resource_id, sa.String), sa.func.count())
        .select_from(m).join(StoryResource, StoryResource.story_id == m.c.id).group_by(StoryResource.resource_id),
        sa.select(sa.literal("total"), sa.literal(""), sa.func.count()).select_from(m),
    ]
    counts: dict[str, dict[str, int]] = {}
    for facet, value, n in db.session.execute(sa.union_all(*parts)).all():
        counts.setdefault(facet, {})[value if value is None else str(value)] = n
    total = sum(counts.get("total", {}).values())

    def labelled(name: str, labels: dict) -> list[Facet]:
        return [Facet(v, label, counts[name][v]) for v, label in labels.items() if counts.get(name, {}).get(v)]

    years = sorted(((_year(v), n) for v, n in counts.get("year", {}).items() if v is not None), reverse=True)
    by_resource = counts.get("resource", {})
    top = sorted(by_resource.items(), key=lambda item: -item[1])[:RESOURCE_FACETS * 2]
    info = {rid: (slug, name) for rid, slug, name in db.session.execute(
        sa.select(Resource.id, Resource.slug, Resource.name).where(Resource.id.in_([int(i) for i, _ in top])))}
    resources = sorted(((info[int(i)], n) for i, n in top if int(i) in info),
                       key=lambda item: (-item[1], item[0][1]))[:RESOURCE_FACETS]
    return {
        "step": labelled("step", {code: step.label for code, step in exam.STEPS.items()}),
        "resource": [Facet(slug, name, n) for (slug, name), n in resources],
        "outcome": labelled("outcome", exam.OUTCOMES),
        "background": labelled("background", BACKGROUNDS),
        "attempt": labelled("attempt", {"first": "First attempt", "retake": "Retake"}),
        "year": [Facet(str(y), str(y), n) for y, n in years],
    }, total


def _year(value: str) -> int:
    return int(float(value))  # extract() gives 2025 on SQLite and 2025.0 (numeric) on PostgreSQL


def snippet(story: Story, parsed: ParsedQuery) -> Markup:
    """A window of the story's text around the first matched term, escaped, with the terms in <mark>."""
    import re

    text = markup.render_plain_excerpt(story.body, max_chars=20_000)
    terms = sorted(set(parsed.positive_tokens), key=len, reverse=True)
    if not terms:
        return Markup(escape(text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else "")))
    pattern = re.compile(r"(?<![^\W_])(" + "|".join(re.escape(t) for t in terms) + r")(?![^\W_])", re.IGNORECASE)
    found = pattern.search(text)
    start = max(0, found.start() - SNIPPET_CHARS // 3) if found else 0
    window = text[start:start + SNIPPET_CHARS]
    pieces, last = [], 0
    for match in pattern.finditer(window):
        pieces.append(escape(window[last:match.start()]))
        pieces.append(Markup("<mark>") + escape(match.group(0)) + Markup("</mark>"))
        last = match.end()
    pieces.append(escape(window[last:]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_CHARS < len(text) else ""
    return Markup(escape(prefix) + Markup("").join(pieces) + escape(suffix))
