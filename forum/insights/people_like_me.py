"""People like me: everything /predict and the API answer for one candidate, computed once per question and kept
until a story changes (the insights cache scope), since nothing of the candidate's is stored or needed again.

The answer is built from forum.insights.predict (the calibrations the stories give), forum.insights.neighbours (the
stories most like the candidate's) and forum.insights.validation (how far off the same predictions were for the
stories themselves, each left out in turn), so the page states the error of the very code that predicted.
"""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from .. import caching, exam
from ..extensions import db
from ..models import Story, utcnow
from . import data, neighbours, predict, validation


@dataclass(frozen=True)
class Standard:
    """The passing 3-digit score for an exam in the planned month, from when, and whether only secondary sources
    give it (forum.exam.SECONDARY_SOURCE_ONLY): the page says where the range sits against it."""

    score: int
    since: date
    secondary_only: bool


@dataclass(frozen=True)
class Answer:
    step: str
    background: str
    month: date | None
    entries: tuple[predict.Entry, ...]
    verified: bool
    scored: bool  # the exam reports a 3-digit score in the planned month: a score range; else Step 1's pass chance
    score_range: predict.ScoreRange | None
    pass_chance: predict.PassChance | None
    unused: tuple[str, ...]  # slugs given that the prediction could not use (no line yet, or not the last NBME)
    standard: Standard | None
    stories: int  # published stories of the step the calibrations come from (verified ones only with the switch)
    verified_stories: int  # published stories of the step with a verified outcome: the switch shows where any exist
    practice_years: tuple[int, int] | None  # the exam years the calibrations use
    measured: validation.Measured | None  # None when not one story could be predicted with itself left out
    neighbours: tuple[neighbours.Neighbour, ...]


def answer(step: str, background: str, month: date | None, entries: list[predict.Entry], *, verified: bool = False,
           today: date | None = None) -> Answer:
    """The prediction, its measured error and the similar stories for a candidate's validated entries (in the order
    given: without dates the last given counts as the latest). `step` is a key of forum.exam.STEPS, `background`
    a key of BACKGROUNDS or "" for any, `month` the planned exam month's first day or None."""
    day = (today or utcnow().date()).isoformat()
    normalised = tuple(predict.Entry(slug=e.slug, scale=e.scale, score=float(e.score), taken_on=e.taken_on)
                       for e in entries)
    return caching.memoize("predict", _answer_on, step, background or "", month.isoformat() if month else "",
                           normalised, bool(verified), day, scopes=(caching.INSIGHTS,))


def verified_stories(step: str) -> int:
    """How many published stories of the step have an outcome a moderator verified."""
    return caching.memoize("predict-verified", _count_verified, step, scopes=(caching.INSIGHTS,))


def _count_verified(step: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Story).where(
        Story.status == "published", Story.step == step, Story.verified_at.is_not(None)))


def _answer_on(step: str, background: str, month_text: str, entries: tuple[predict.Entry, ...], verified: bool,
               day: str) -> Answer:
    today = date.fromisoformat(day)
    month = date.fromisoformat(month_text) if month_text else None
    ins = data.compute(step, verified=verified, today=today)  # every background: a calibration is per step
    scored = exam.reports_numeric_score(step, month or today)
    score_range = pass_chance = None
    given = [entry.slug for entry in predict.latest_per_form(list(entries))]
    if scored:
        score_range = predict.score_range(predict.lines_of(ins), list(entries))
        unused = score_range.unused if score_range else tuple(given)
    else:
        pass_chance = predict.pass_chance(ins.pass_bands, list(entries))
        unused = tuple(slug for slug in given if pass_chance is None or slug != pass_chance.last.slug)
    return Answer(step=step, background=background, month=month, entries=entries, verified=verified, scored=scored,
                  score_range=score_range, pass_chance=pass_chance, unused=unused,
                  standard=_standard(step, month or today) if scored else None, stories=ins.outcomes.total,
                  verified_stories=verified_stories(step), practice_years=ins.practice_years,
                  measured=validation.measured(step, verified=verified),
                  neighbours=tuple(neighbours.similar_stories(step, background, list(entries), verified=verified)))


def _standard(step: str, day: date) -> Standard | None:
    """The passing standard in force on `day` (the planned month's first day, or today)."""
    score = exam.passing_score(step, day)
    if score is None:
        return None
    since = max(start for code, start, _ in exam.PASSING_STANDARDS if code == step and start <= day)
    return Standard(score=score, since=since, secondary_only=(step, since) in exam.SECONDARY_SOURCE_ONLY)
