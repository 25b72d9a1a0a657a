"""Stories like this one, for the foot of a story page.

Likeness, best first: the same step and resources in common (more in common ranks higher, then votes, then the
newest); then recent stories of the same step, those whose titles share words with this one first; last, stories
of other steps that share resources. Two queries and one load of resource links, however many candidates.
"""
import re

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from . import caching
from .extensions import db
from .models import Story, StoryResource

TITLE_WORDS = 3  # the longest words of the title that are compared; more only makes the query longer
TITLE_WINDOW = 200  # the fill looks at this many newest same-step stories, so it never scans a whole step
# Shared resources are counted among this many newest stories of the same step and of all steps: popular resources
# (UWorld is in most stories) would otherwise make every story page group a large part of the table.
CANDIDATE_WINDOW = 1000
# Words nearly every title holds, which would make every story look alike.
COMMON_WORDS = frozenset("""
    a about after all an and as at before but by ck cs exam failed for from got had have how i in into is it
    my of on or passed pass score scored step steps story the this to usmle was what with without
""".split())


def title_words(title: str) -> list[str]:
    """The title's significant words, longest first, lower case: 'How I passed Step 2 CK with AMBOSS' -> amboss."""
    words = {w for w in re.findall(r"\w+", title.casefold()) if len(w) > 2 and w not in COMMON_WORDS}
    return sorted(words, key=lambda w: (-len(w), w))[:TITLE_WORDS]


def _title_match(words: list[str], title) -> sa.ColumnElement[int]:
    """How many of `words` appear in `title`, as SQL."""
    if not words:
        return sa.literal(0)
    hits = [sa.case((title.ilike("%" + _escape_like(w) + "%", escape="\\"), 1), else_=0) for w in words]
    return sum(hits[1:], hits[0])


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _newest(step: str | None = None) -> sa.Select:
    """Ids of the newest published stories (of one step), read from the listing indexes."""
    query = sa.select(Story.id).where(Story.status == "published")
    if step is not None:
        query = query.where(Story.step == step)
    return sa.select(query.order_by(Story.created_at.desc()).limit(CANDIDATE_WINDOW).subquery().c.id)


def similar_stories(story: Story, limit: int = 5) -> list[Story]:
    """Up to `limit` published stories like `story`, never `story` itself, best first (kept until a story is
    written, edited or removed: the search scope; votes only reorder ties)."""
    ids = caching.memoize("similar", lambda _id, _limit: [s.id for s in _similar(story, limit)], story.id, limit,
                          scopes=(caching.SEARCH,), timeout=caching.STALE_SECONDS * 20)
    loaded = {s.id: s for s in db.session.scalars(
        sa.select(Story).where(Story.id.in_(ids)).options(selectinload(Story.resource_links)))}
    return [loaded[i] for i in ids if i in loaded]


def _similar(story: Story, limit: int) -> list[Story]:
    mine = sa.select(StoryResource.resource_id).where(StoryResource.story_id == story.id)
    shared = sa.func.count(StoryResource.resource_id)
    # The candidate ids (at most 2,000) drive the join, by primary key. Left to itself SQLite, which keeps no
    # statistics, started from the popular resources' story_resources rows or from every published story, and the
    # page grew with the table (68 ms at 100,000 stories, 355 ms at 1,000,000; now 11-40 ms at both).
    # `resource_id + 0` is the usual way to keep a planner off an index.
    candidates = set(db.session.scalars(sa.union(_newest(step=story.step), _newest()))) - {story.id}
    sharing = db.session.execute(
        sa.select(Story.id, Story.step).join(StoryResource, StoryResource.story_id == Story.id)
        .where(Story.id.in_(sorted(candidates)),  # candidates are published stories
               (StoryResource.resource_id + 0).in_(mine))
        .group_by(Story.id, Story.step, Story.votes, Story.created_at)
        .order_by(sa.case((Story.step == story.step, 0), else_=1), shared.desc(), Story.votes.desc(),
                  Story.created_at.desc(), Story.id.desc())
        .limit(limit)).all()
    same_step = [story_id for story_id, step in sharing if step == story.step]
    other_step = [story_id for story_id, step in sharing if step != story.step]

    words = title_words(story.title)
    wanted = Story.id.in_([story_id for story_id, _ in sharing])
    room = limit - len(same_step)
    if room > 0:
        recent = (sa.select(Story.id, Story.title, Story.created_at)
                  .where(Story.status == "published", Story.step == story.step, Story.id != story.id,
                         Story.id.not_in([story_id for story_id, _ in sharing]))
                  .order_by(Story.created_at.desc(), Story.id.desc()).limit(TITLE_WINDOW).subquery())
        fill = (sa.select(recent.c.id)
                .order_by(_title_match(words, recent.c.title).desc(), recent.c.created_at.desc(), recent.c.id.desc())
                .limit(room))
        wanted = sa.or_(wanted, Story.id.in_(fill))
    match = _title_match(words, Story.title).label("match")
    rows = db.session.execute(sa.select(Story, match).where(wanted).options(selectinload(Story.resource_links))).all()

    found = {row.Story.id: row for row in rows}
    filled = sorted((row for row in rows if row.Story.id not in same_step and row.Story.id not in other_step),
                    key=lambda row: (row.match, row.Story.created_at, row.Story.id), reverse=True)
    ordered = [found[i].Story for i in same_step if i in found] + [row.Story for row in filled]
    ordered += [found[i].Story for i in other_step if i in found]
    return ordered[:limit]
