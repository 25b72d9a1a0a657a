"""The scale of a practice score, decided by the assessment and the day it was taken, never by the assessment alone.

NBME's Step 1 self-assessments (CBSSA) reported a 3-digit score until Step 1 went pass/fail; since "mid to late
February 2022" they report an equated percent correct and a probability of passing (Blueprint Prep, "NBME Step 1
CBSE & CBSSA Score Report Changes", quoting NBME's notice; Elite Medical Prep and yousmle describe the new report).
So "68" from a 2023 Step 1 story is a percent, and "231" from 2021 a 3-digit score, on the same form.

The catalogue holds, per assessment, dated periods (forum/data/resources.json "scales", loaded into ResourceScale):
each says from which day (None: from the first form) the assessment reported which scale, with its source. An
assessment without periods reports Resource.scale throughout.

No source gives the exact day of the switch, and we do not invent one. The period scale EITHER stands for what the
sources leave open: for the CBSSA forms it covers February 2022, from the first day the announcement could mean to
the first day after "late February" (the last sure 3-digit day is 31 January 2022, the first sure percent day
1 March 2022). In an EITHER period both scales are accepted and the value decides, which is safe because the two
scales do not overlap in practice: no self-assessment reports a 3-digit score of 100 or less (NBME's own table
from its score to an approximate Step 1 score started at "<128"), and no percent is above 100. The same holds for
an assessment whose scale nobody could source (NBME's Step 3 CCMSA): EITHER from the start, "unknown" in its
source.

The same separation tells which scale a stored value only makes sense on (sensible_scale), which is what the
migration that corrected old rows used (migrations/versions/0011_practice_scales.py keeps its own copy).
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .dates import day_label

THREE_DIGIT, PERCENT = "three_digit", "percent"
SCALES = (THREE_DIGIT, PERCENT)  # what a practice score is stored on
EITHER = "either"  # a period whose scale the sources leave open: the value decides
PERIOD_SCALES = (*SCALES, EITHER)  # what a catalogue period may say
LABELS = {THREE_DIGIT: "3-digit score", PERCENT: "percent correct", EITHER: "3-digit score or percent correct"}
EXAMPLES = {THREE_DIGIT: "231", PERCENT: "68"}  # what a writer types, in error messages
# A value above it can only be a 3-digit score; at or below it, only a percent correct: no self-assessment reports
# a 3-digit score this low (NBME's table from its CBSSA score to an approximate Step 1 score started at "<128").
PERCENT_MAX = 100


@dataclass(frozen=True)
class Period:
    """A stretch of days on which an assessment reported one scale (or EITHER, when the sources leave it open)."""

    start: date | None  # None: from the assessment's first form
    end: date | None  # the next period's start (not included); None: still in force
    scale: str
    source: str = ""

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)

    def when(self) -> str:
        """' taken on or after 1 March 2022', ' taken before 1 February 2022', '' for all time: for messages."""
        if self.start is not None and self.end is not None:
            return f" taken from {day_label(self.start)} to {day_label(self.end - timedelta(days=1))}"
        if self.start is not None:
            return f" taken on or after {day_label(self.start)}"
        if self.end is not None:
            return f" taken before {day_label(self.end)}"
        return ""


def periods(rows: Iterable[tuple[date | None, str, str]], default: str | None) -> list[Period]:
    """(valid_from, scale, source) rows, in any order, as consecutive periods; no rows: `default` for all time.

    Sorted here, not by the database: SQLite puts NULL first in an ascending order, PostgreSQL last.
    """
    ordered = sorted(rows, key=lambda row: (row[0] is not None, row[0] or date.min))
    for _valid_from, scale, _source in ordered:
        if scale not in PERIOD_SCALES:
            raise ValueError(f"unknown practice scale {scale!r}")
    if not ordered:
        return [Period(start=None, end=None, scale=default or THREE_DIGIT)]
    if ordered[0][0] is not None:  # before the first dated row: what the assessment reports without one
        ordered.insert(0, (None, default or THREE_DIGIT, ""))
    ends = [row[0] for row in ordered[1:]] + [None]
    return [Period(start=start, end=end, scale=scale, source=source)
            for (start, scale, source), end in zip(ordered, ends, strict=True)]


def period_on(all_periods: list[Period], day: date | None) -> Period:
    """The period in force on `day`; without a day, the latest one (what the assessment reports today)."""
    if day is None:
        return all_periods[-1]
    return next(p for p in all_periods if p.covers(day))


def sensible_scale(value: float) -> str:
    """The only scale a value makes sense on: a percent at or below PERCENT_MAX, a 3-digit score above it."""
    return PERCENT if value <= PERCENT_MAX else THREE_DIGIT


def decide(period_scale: str, value: float) -> str:
    """The scale a score is stored on: the period's, or, where the period leaves it open, the value's."""
    return sensible_scale(value) if period_scale == EITHER else period_scale


def mismatch(name: str, period: Period, value: float) -> str | None:
    """The writer's error when a value only makes sense on the other scale than the assessment reported then.

    'NBME CBSSA Form 30 taken on or after 1 March 2022 reports a percent correct: enter it like 68.'
    """
    if period.scale == EITHER or sensible_scale(value) == period.scale:
        return None
    return f"{name}{period.when()} reports a {LABELS[period.scale]}: enter it like {EXAMPLES[period.scale]}."


def label(scale: str) -> str:
    """'3-digit score', 'percent correct'."""
    return LABELS[scale]


def input_text(scale: str, value: float) -> str:
    """A stored score as the form shows it again: '231', '68', '72.5'."""
    return str(round(value)) if scale == THREE_DIGIT else f"{round(value, 1):g}"


def display(scale: str, value: float) -> str:
    """A stored score as pages show it: '231', '68%'."""
    return input_text(scale, value) + ("%" if scale == PERCENT else "")


# --- the one loader: a catalogue resource's periods (Resource.scale_periods loads with the resource, selectin)


def periods_of(resource) -> list[Period]:
    """The dated periods of a forum.models.Resource (or anything shaped like one)."""
    return periods([(p.valid_from, p.scale, p.source) for p in resource.scale_periods], resource.scale)


def scale_for(resource, day: date, value: float) -> str:
    """The scale a score of `value` on `resource`, taken on `day`, is stored on."""
    return decide(period_on(periods_of(resource), day).scale, value)
