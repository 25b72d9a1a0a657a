"""Search: one interface, two backends (SQLite FTS5, PostgreSQL tsvector), the same results on both.

search(SearchRequest) finds published stories whose own text — title, body, and the words in search_extra (step,
outcome, attempt, background, year, resource names and aliases) — or one of whose comments matches the query,
narrowed by facets, with counts per facet value over the matched set. Relevance is defined the same way on both
databases so they agree: a title hit first, then upvotes, then the newest. Snippets are cut and highlighted in
Python from the stored text, escaped before <mark> is added.

**Bounded ranking.** A common word matches nearly every story (96,000 of 100,000 for "uworld" on the bench), and
ordering all of them cost most of a second on every page, sort and vote. So every sort orders only the candidates:
the SEARCH_CANDIDATES newest matches by id (the primary key's order, in which stories are numbered as posted), taken
after the filters, so narrowing a search reaches older stories. Relevance, "new" and "top" are thus the best, the
newest and the best-voted of the newest thousand; past that the page says so, and the total stays exact. 1,000 is
50 pages, more than anyone pages through, as many as similar.CANDIDATE_WINDOW looks at, and ordering them by primary
key takes about 10 ms on the bench whatever the word.

**Counted once.** The facet counts, the total and the candidates do read the whole matched set (a second or so for
"uworld"), in one statement, but they depend only on the words and the filters, not on the page, the sort or the
votes: they are kept per query until a write raises the "search" scope (a story posted, edited or removed), or for
FACETS_SECONDS, the longest a comment that makes an older story match waits to be counted. A page of ranked ids is
kept RANK_SECONDS, as the votes that order it change.
"""
import re
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from . import caching, exam, markup
from .extensions import db
from .models import BACKGROUNDS, Comment, Resource, Story, StoryResource
from .record_filters import JOURNEYS, journey_clause, verified_only
from .search_syntax import MAX_QUERY_CHARS, ParsedQuery, fts5_match, parse, tsquery

PAGE_SIZE = 20
MAX_PAGE = 250  # the API's limit; pages past the candidates are empty
SEARCH_CANDIDATES = 1000  # every sort orders at most this many, the newest matches (see above)
FACETS_SECONDS = 300
RANK_SECONDS = 15
SNIPPET_CHARS = 220
RESOURCE_FACETS = 15  # the most used resources in the matched set; the rest are one search away
SORTS = {"relevance": "Relevance", "new": "New", "top": "Top"}  # orders and their tab labels


PARAMS = ("q", "step", "resource", "outcome", "background", "attempt", "year", "score_min", "score_max", "verified",
          "journey", "sort", "page")  # what SearchRequest.from_args reads


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
    verified: bool = False  # only outcomes a moderator verified
    journey: str = ""  # "" | a key of record_filters.JOURNEYS ("failed-then-passed")
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
                   verified=args.get("verified") == "1",
                   journey=args.get("journey") if args.get("journey") in JOURNEYS else "",
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

    @property
    def ranked(self) -> int:
        """How many of the matches the pages reach: the newest SEARCH_CANDIDATES at most."""
        return min(self.total, SEARCH_CANDIDATES)

    @property
    def capped(self) -> bool:
        return self.total > self.ranked


def story_text(story: Story, resources: list[Resource], typed: list[str] = ()) -> str:
    """The extra words a story is found by, so 'CK uworld failed first attempt' finds what it describes; typed are
    resource names the catalogue does not know yet, found as written."""
    step = exam.STEPS.get(story.step)
    words = [step.label if step else "", step.short if step else "", exam.OUTCOMES.get(story.outcome, ""),
             exam.ordinal_attempt(story.attempt) if story.attempt else "", "retake" if (story.attempt or 1) > 1 else "",
             BACKGROUNDS.get(story.background or "", ""), str(story.exam_month.year) if story.exam_month else ""]
    for resource in resources:
        words.append(resource.name)
        words.extend(alias.alias_key for alias in resource.aliases)
    words.extend(typed)
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


def _title_hit(query: ParsedQuery, since: int):
    """1 where the title alone matches the positive terms, else 0: the first key of relevance. Only ids from `since`
    (the oldest candidate) on are asked about, so SQLite reads the title index from there, not a whole list."""
    if not query.required:
        return sa.literal(0)
    if _dialect() == "postgresql":
        ts = sa.func.to_tsquery("simple", tsquery(query.required))
        return sa.case((sa.func.to_tsvector("simple", Story.title).op("@@")(ts), 1), else_=0)
    fts = sa.table("search_stories_title", sa.column("rowid"))
    titles = sa.select(fts.c.rowid).where(
        sa.text("search_stories_title MATCH :title_match").bindparams(title_match=fts5_match(query.required)),
        fts.c.rowid >= since)
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
    if q.verified:
        statement = statement.where(verified_only())
    if q.journey:
        statement = statement.where(journey_clause(q.journey))
    for slug in q.resources:
        statement = statement.where(sa.select(StoryResource.story_id).join(Resource).where(
            Resource.slug == slug, StoryResource.story_id == Story.id).exists())
    return statement


def search(q: SearchRequest) -> SearchResult:
    """The page of stories, the facet counts and the total.

    Two values kept in the cache under the "search" scope (see the module docstring): the counts and candidates of
    the words and filters, and the ranked ids of one page and sort. Both are ids and numbers; stories load here.
    """
    parsed = parse(q.text)
    page = min(max(q.page, 1), MAX_PAGE)
    filters = _facets_only(q)
    counts, total, candidates = caching.memoize("search-counts", _counted, parsed, filters,
                                                scopes=(caching.SEARCH,), timeout=FACETS_SECONDS)
    ids, has_next = caching.memoize("search-page", lambda *_: _ranked(parsed, candidates, q.sort, page),
                                    parsed, filters, q.sort, page, scopes=(caching.SEARCH,), timeout=RANK_SECONDS)
    loaded = {story.id: story for story in db.session.scalars(
        sa.select(Story).where(Story.id.in_(ids)).options(selectinload(Story.resource_links)))}
    stories = [loaded[i] for i in ids if i in loaded]
    found = {name: [Facet(*values) for values in facet] for name, facet in counts.items()}
    return SearchResult(stories=stories, snippets={s.id: snippet(s, parsed) for s in stories},
                        facets=found, total=total, page=page, has_next=has_next)


def _facets_only(q: SearchRequest) -> SearchRequest:
    """The request without its words, sort and page, its values in one order: a key for what they match."""
    return replace(q, text="", steps=sorted(set(q.steps)), resources=sorted(set(q.resources)),
                   outcomes=sorted(set(q.outcomes)), backgrounds=sorted(set(q.backgrounds)), sort="relevance", page=1)


def _ranked(parsed: ParsedQuery, candidates: list[int], sort: str, page: int) -> tuple[list[int], bool]:
    """One page of the candidates in the sort's order, by the votes of now: a statement over at most
    SEARCH_CANDIDATES rows, read by primary key."""
    order = {
        "new": [Story.created_at.desc(), Story.id.desc()],
        "top": [Story.votes.desc(), Story.created_at.desc(), Story.id.desc()],
    }.get(sort, [_title_hit(parsed, min(candidates, default=0)).desc(), Story.votes.desc(), Story.created_at.desc(),
                 Story.id.desc()])
    ids = list(db.session.scalars(
        sa.select(Story.id).where(Story.id.in_(candidates)).order_by(*order)
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    return ids[:PAGE_SIZE], len(ids) > PAGE_SIZE


def _counted(parsed: ParsedQuery, filters: SearchRequest) -> tuple[dict, int, list[int]]:
    """What every page and sort of a query share, as plain tuples and numbers, to be kept in the cache."""
    found, total, candidates = facets(_filtered(filters, parsed))
    return {name: [(f.value, f.label, f.count) for f in values] for name, values in found.items()}, total, candidates


def facets(matched: sa.Select) -> tuple[dict[str, list[Facet]], int, list[int]]:
    """Counts per facet value over the matched set, its size, and its newest SEARCH_CANDIDATES ids, in one statement.

    The matched set is computed once (a MATERIALIZED common table expression) and every facet groups it: a common
    word matches most stories, and evaluating the full-text match once per facet was most of a search's time.
    Choosing a value shows exactly the stories counted for it.
    """
    columns = (sa.select(Story.id, Story.step, Story.outcome, Story.background, Story.attempt, Story.exam_month)
               .where(Story.id.in_(matched)))
    m = columns.cte("matched").prefix_with("MATERIALIZED")
    newest = sa.select(m.c.id).order_by(m.c.id.desc()).limit(SEARCH_CANDIDATES).subquery()

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
        sa.select(sa.literal("candidate"), sa.cast(newest.c.id, sa.String), sa.literal(1)).select_from(newest),
    ]
    counts: dict[str, dict[str, int]] = {}
    candidates: list[int] = []
    for facet, value, n in db.session.execute(sa.union_all(*parts)).all():
        if facet == "candidate":
            candidates.append(int(value))
        else:
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
    }, total, sorted(candidates, reverse=True)


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


def story_matches(q: SearchRequest, story_id: int) -> bool:
    """Whether the search q finds this story now: its matched set narrowed to the one id (a saved search's check
    of a new story, forum.following)."""
    statement = _filtered(q, parse(q.text)).where(Story.id == story_id)
    return db.session.scalar(statement.limit(1)) is not None
