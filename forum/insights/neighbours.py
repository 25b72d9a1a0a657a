"""The stories most like a candidate's: same step, practice scores near theirs on the same forms, then background.

One query whatever the number of stories or entries: each published story's latest score per self-assessment (as
forum.insights.data.practice_rows takes them), matched to the candidate's entries by CASE expressions (plain SQL
that SQLite and PostgreSQL read alike, where a VALUES list is not), averaged per story, ranked, and the top stories
come back with the forms they share, one row per shared form.

Distance: the mean, over the candidate's forms, of |theirs − yours| in scale units (UNITS), so a 3-digit form and a
percent form weigh alike; a form the story did not give counts MISSING units, so a story matching one of your three
forms exactly does not outrank one within a few points on all three. Ties go to the candidate's background, then to
more shared forms, then to the newest.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import NamedTuple

import sqlalchemy as sa

from .. import scales
from ..extensions import db
from ..models import PracticeScore, Resource, Story
from ..urls import story_url
from . import predict

LIMIT = 10  # stories listed: enough to see a pattern, few enough to read each
# What counts as one step apart: about a third of the 3-digit prediction interval's half width, and the width of
# the pass-rate bands on a percent form (forum.insights.data.BAND_WIDTH).
UNITS = {scales.THREE_DIGIT: 10.0, scales.PERCENT: 5.0}
MISSING = 1.0  # units for a form you gave and the story did not: about as far as a typical miss


class Shared(NamedTuple):
    """A form both gave: its name, their latest score, yours, and the scale both are on."""

    name: str
    theirs: float
    yours: float
    scale: str


@dataclass(frozen=True)
class Neighbour:
    story_id: int
    title: str
    slug: str
    outcome: str
    score: int | None
    exam_month: date
    background: str | None
    verified: bool
    distance: float  # in scale units (UNITS): 0 is the same scores on all your forms, 1 one unit apart on average
    shared: tuple[Shared, ...]

    @property
    def url(self) -> str:
        """The story's page (forum.urls), built when asked: in a request, so the memoised answer holds no host."""
        return story_url(SimpleNamespace(id=self.story_id, slug=self.slug))


def similar_stories(step: str, background: str, entries: list[predict.Entry], *, verified: bool = False,
                    limit: int = LIMIT) -> list[Neighbour]:
    """The `limit` stories of the step nearest the candidate's entries (at least one form in common), nearest
    first; with `verified`, stories whose outcome a moderator verified only."""
    mine = predict.latest_per_form(list(entries))
    if not mine:
        return []
    where = [Story.status == "published", Story.step == step]
    if verified:
        where.append(Story.verified_at.is_not(None))
    latest = (sa.select(PracticeScore.story_id, PracticeScore.resource_id, PracticeScore.scale, PracticeScore.score,
                        sa.func.row_number().over(partition_by=(PracticeScore.story_id, PracticeScore.resource_id),
                                                  order_by=(PracticeScore.taken_on.desc(), PracticeScore.id.desc()))
                        .label("nth"))
              .join(Story, Story.id == PracticeScore.story_id).where(*where).subquery("latest"))
    yours = sa.case(*((sa.and_(Resource.slug == entry.slug, latest.c.scale == entry.scale),
                       sa.literal(float(entry.score), sa.Float())) for entry in mine), else_=sa.null())
    unit = sa.case((latest.c.scale == scales.PERCENT, UNITS[scales.PERCENT]), else_=UNITS[scales.THREE_DIGIT])
    matched = (sa.select(latest.c.story_id, Resource.name, latest.c.scale, latest.c.score.label("theirs"),
                         yours.label("yours"), (sa.func.abs(latest.c.score - yours) / unit).label("gap"))
               .join(Resource, Resource.id == latest.c.resource_id)
               .where(latest.c.nth == 1, yours.is_not(None)).cte("matched"))
    missing = (len(mine) - sa.func.count()) * MISSING
    per_story = (sa.select(matched.c.story_id, ((sa.func.sum(matched.c.gap) + missing) / len(mine)).label("distance"),
                           sa.func.count().label("shared"))
                 .group_by(matched.c.story_id).subquery("per_story"))
    other_background = sa.case((Story.background == background, 0), else_=1) if background else sa.literal(0)
    order = (per_story.c.distance, other_background, per_story.c.shared.desc(), Story.created_at.desc(),
             Story.id.desc())
    rank = sa.func.row_number().over(order_by=order).label("rank")
    top = (sa.select(per_story.c.story_id, per_story.c.distance, rank)
           .join(Story, Story.id == per_story.c.story_id).order_by(*order).limit(limit).subquery("top"))
    query = (sa.select(Story.id, Story.title, Story.slug, Story.outcome, Story.score, Story.exam_month,
                       Story.background, Story.verified_at.is_not(None).label("verified"), top.c.distance,
                       matched.c.name, matched.c.theirs, matched.c.yours, matched.c.scale)
             .join(top, top.c.story_id == Story.id).join(matched, matched.c.story_id == Story.id)
             .order_by(top.c.rank, matched.c.name))
    stories, shared = {}, defaultdict(list)  # one row per story and shared form, nearest story first
    for row in db.session.execute(query):
        stories.setdefault(row.id, row)
        shared[row.id].append(Shared(name=row.name, theirs=float(row.theirs), yours=float(row.yours),
                                     scale=row.scale))
    return [Neighbour(story_id=row.id, title=row.title, slug=row.slug,
                      outcome=row.outcome, score=row.score, exam_month=row.exam_month, background=row.background,
                      verified=bool(row.verified), distance=float(row.distance), shared=tuple(shared[row.id]))
            for row in stories.values()]
