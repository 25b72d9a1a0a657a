"""Story listings: filters and sorts shared by /stories, the step hubs and resource pages.

One query for the page of stories (authors joined), one for their resources, whatever the page size. Pagination
asks for one row more than it shows, so it needs no COUNT(*) over the table.
"""
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import exam, ranking
from ..extensions import db
from ..models import BACKGROUNDS, Resource, Story, StoryResource, utcnow
from ..record_filters import JOURNEYS, journey_clause, verified_only

PAGE_SIZE = 20
MAX_PAGE = 500  # deep offsets are slow and nobody reads page 501; search is the way further back
SORTS = {"hot": "Hot", "new": "New", "top": "Top"}  # the listing's orders and their tab labels


PARAMS = ("step", "outcome", "background", "resource", "verified", "journey", "sort", "t", "q",
          "page")  # what from_args reads


@dataclass
class Filters:
    step: str = ""
    outcome: str = ""
    background: str = ""
    resources: list[str] = field(default_factory=list)  # slugs
    verified: bool = False  # only stories whose outcome a moderator verified
    journey: str = ""  # "" | a key of JOURNEYS
    sort: str = "hot"
    window: str = "week"
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args, **fixed) -> "Filters":
        """Read filters from a query string, ignoring values that are not ours rather than failing."""
        def pick(name, allowed, default=""):
            value = fixed.get(name, args.get(name, default))
            return value if value in allowed else default

        try:
            page = min(max(int(args.get("page", 1)), 1), MAX_PAGE)
        except ValueError:
            page = 1
        resources = fixed.get("resources", [s for s in args.getlist("resource") if s][:5])
        return cls(step=pick("step", exam.STEP_CODES), outcome=pick("outcome", exam.OUTCOMES),
                   background=pick("background", BACKGROUNDS), resources=resources,
                   verified=fixed.get("verified", args.get("verified") == "1"), journey=pick("journey", JOURNEYS),
                   sort=pick("sort", SORTS, "hot"), window=pick("t", ranking.TOP_WINDOWS, "week"),
                   q=(args.get("q") or "").strip()[:200], page=page)

    def query_args(self) -> dict:
        """The query string that reproduces this view, for links (defaults left out to keep URLs short)."""
        args = {"step": self.step, "outcome": self.outcome, "background": self.background,
                "resource": self.resources, "q": self.q, "verified": "1" if self.verified else "",
                "journey": self.journey,
                "sort": "" if self.sort == "hot" else self.sort, "t": self.window if self.sort == "top" else ""}
        return {k: v for k, v in args.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.step or self.outcome or self.background or self.resources or self.q or self.verified
                    or self.journey)


# How a page title names a filter: "Step 2 CK stories that passed", "Search: uworld in verified IMG stories".
OUTCOME_PHRASES = {"passed": "passed", "failed": "failed", "pending": "await a result"}
BACKGROUND_WORDS = {"other": "other-background"}  # "Other stories" would read as "the rest"
JOURNEY_PHRASES = {"failed-then-passed": "failed, then passed"}


def describe_stories(*, steps=(), outcomes=(), backgrounds=(), resource_names=(), verified=False, journey="",
                     extra_words=(), text="") -> str:
    """What a filtered listing shows, in words, for its <title> and <h1>: 'stories', 'Step 1 stories', 'verified
    Step 2 CK IMG stories that passed, using UWorld'. `extra_words` come before "stories" (search's 'retake')."""
    words = [*(["verified"] if verified else []), " or ".join(exam.STEPS[s].label for s in steps),
             *extra_words, " or ".join(BACKGROUND_WORDS.get(b, BACKGROUNDS[b]) for b in backgrounds), "stories"]
    phrase = " ".join(w for w in words if w)
    clauses = [" or ".join(OUTCOME_PHRASES[o] for o in outcomes), JOURNEY_PHRASES.get(journey, "")]
    if any(clauses):
        phrase += " that " + " and ".join(c for c in clauses if c)
    if resource_names:
        phrase += ", using " + " and ".join(resource_names)
    if text:
        phrase += f" mentioning “{text}”"
    return phrase


def describe_filters(filters: Filters, resource_names: dict[str, str]) -> str:
    """The title of a /stories view: 'Stories' unfiltered, 'Step 1 stories' with ?step=step1."""
    phrase = describe_stories(steps=[filters.step] if filters.step else [],
                              outcomes=[filters.outcome] if filters.outcome else [],
                              backgrounds=[filters.background] if filters.background else [],
                              resource_names=[resource_names.get(s, s) for s in filters.resources],
                              verified=filters.verified, journey=filters.journey, text=filters.q)
    return phrase[0].upper() + phrase[1:]


@dataclass
class Page:
    items: list
    number: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def stories_query(filters: Filters) -> sa.Select:
    query = sa.select(Story).where(Story.status == "published")
    if filters.step:
        query = query.where(Story.step == filters.step)
    if filters.outcome:
        query = query.where(Story.outcome == filters.outcome)
    if filters.background:
        query = query.where(Story.background == filters.background)
    if filters.verified:
        query = query.where(verified_only())
    if filters.journey:
        query = query.where(journey_clause(filters.journey))
    for slug in filters.resources:
        used = (sa.select(StoryResource.story_id).join(Resource)
                .where(Resource.slug == slug, StoryResource.story_id == Story.id))
        query = query.where(used.exists())
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(Story.title.ilike(pattern, escape="\\"), Story.body.ilike(pattern, escape="\\")))
    if filters.sort == "new":
        return query.order_by(Story.created_at.desc(), Story.id.desc())
    if filters.sort == "top":
        since = ranking.top_since(filters.window, utcnow())
        if since is not None:
            query = query.where(Story.created_at >= since)
        return query.order_by(Story.votes.desc(), Story.created_at.desc(), Story.id.desc())
    return query.order_by(Story.hot.desc(), Story.id.desc())


def list_stories(filters: Filters, page_size: int = PAGE_SIZE) -> Page:
    query = (stories_query(filters).options(selectinload(Story.resource_links))
             .limit(page_size + 1).offset((filters.page - 1) * page_size))
    rows = list(db.session.scalars(query))
    return Page(items=rows[:page_size], number=filters.page, has_next=len(rows) > page_size)
