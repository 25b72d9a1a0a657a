"""What a resource page says about a form's life: when it was released and retired, the scale it reported when,
and where each of those comes from.

Candidates name forms that come and go (NBME retired CBSSA forms 20-24 on 2 March 2021, the day it released 25-30),
and a story from 2020 that names form 20 is still right. So the page states the dates the catalogue could source
(forum/data/resources.json, with a source line), says "unknown" where no source gives one rather than guessing,
and says that a retired form stays valid for stories of its time. The scale history comes from the same periods
that decide how a practice score is stored (forum.scales), so the page and the stored scores never disagree.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from . import scales
from .dates import day_label, month_label

UNKNOWN = "unknown"
RETIRED_FORMS_NOTE = "Retired forms stay valid for stories of their time"


@dataclass(frozen=True)
class ScaleLine:
    """One period of the scale history, as a sentence part, with the source for it."""

    text: str
    source: str


@dataclass(frozen=True)
class Facts:
    released: str  # "Released 2 March 2021" | "Released: unknown"
    retired: str  # "Retired 2 March 2021" | "Retired: unknown"
    retired_note: str  # says a retired form stays valid for the stories of its time; "" while not known retired
    scale_history: list[ScaleLine]  # empty for resources that are not self-assessments
    source: str  # where the dates come from, as the catalogue file gives it; "" when it gives none

    @property
    def scale_summary(self) -> str:
        """'3-digit score until 31 January 2022; ...; percent correct from 1 March 2022'."""
        return "; ".join(line.text for line in self.scale_history)


def describe(resource) -> Facts | None:
    """The facts block of a forum.models.Resource, or None for a resource with nothing dated or sourced to show
    (a book or a question bank the catalogue keeps no dates for). Reads only loaded attributes: scale_periods
    comes with the resource (selectin), so the page makes no query here."""
    is_assessment = resource.kind == "self-assessment"
    if not (is_assessment or resource.released_on or resource.retired_on or resource.source):
        return None
    retired_on = resource.retired_on
    return Facts(
        released=dated("Released", resource.released_on),
        retired=dated("Retired", retired_on),
        retired_note=(f"{RETIRED_FORMS_NOTE}: a story taken before {day_label(retired_on)} can name this form."
                      if retired_on else ""),
        scale_history=scale_history(scales.periods_of(resource)) if is_assessment else [],
        source=resource.source or "",
    )


def dated(what: str, day: date | None) -> str:
    """'Released 2 March 2021', or 'Released: unknown' when no source gives the day."""
    return f"{what} {day_label(day)}" if day else f"{what}: {UNKNOWN}"


def scale_history(periods: list[scales.Period]) -> list[ScaleLine]:
    """The periods as readable parts: '3-digit score until 31 January 2022', '3-digit score or percent correct in
    February 2022 (no source says which: the value decides)', 'percent correct from 1 March 2022'. A single period
    reads as its scale alone."""
    lines = []
    for period in periods:
        what = scales.label(period.scale)
        if period.start is None and period.end is None:
            text = what
        elif period.start is None:
            text = f"{what} until {day_label(period.end - timedelta(days=1))}"
        elif period.end is None:
            text = f"{what} from {day_label(period.start)}"
        elif _whole_month(period.start, period.end):
            text = f"{what} in {month_label(period.start)}"
        else:
            text = f"{what} from {day_label(period.start)} to {day_label(period.end - timedelta(days=1))}"
        if period.scale == scales.EITHER:
            text += " (no source says which: the value decides)"
        lines.append(ScaleLine(text=text, source=period.source))
    return lines


def _whole_month(start: date, end: date) -> bool:
    return start.day == 1 and end.day == 1 and (end.year * 12 + end.month) - (start.year * 12 + start.month) == 1
