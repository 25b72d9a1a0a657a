"""People like me: from a candidate's practice scores, what the stories' calibrations say about the real result.

Pure functions over forum.insights.data's calibrations, shared by /predict, the API and `flask insights validate`
(which measures them by leaving each story out in turn), so the error the page states is the error of this code.

Method, for a step that reports a 3-digit score: each practice score the candidate gives on a self-assessment with
a line (MIN_GROUP or more stories gave both scores) predicts the real score from that line, with its 95% prediction
interval. Several tests are combined by weighting each prediction by 1 / (its half width)², and the range is the
combined prediction ± the narrowest single test's half width: one person's tests are not independent, so several of
them do not narrow the range further. For pass/fail Step 1: the pass rate, with its Wilson interval, among stories
whose last NBME form before the exam scored in the same band as the candidate's last NBME.
"""
from dataclasses import dataclass
from datetime import date

from . import data, stats

SCORE_METHOD = ("Each practice score is read through its form's least-squares line (fitted to the stories that "
                "gave that form and a real score); several forms are averaged, weighted by how tight each line is, "
                "and the range is the narrowest form's 95% prediction interval.")
PASS_METHOD = ("The share that passed among stories whose last NBME form before the exam was in the same band as "
               "yours, with its 95% Wilson interval.")


@dataclass(frozen=True)
class Entry:
    """One practice score the candidate gives: the form, the score on the scale it reported that day, the day."""

    slug: str
    scale: str
    score: float
    taken_on: date | None = None


@dataclass(frozen=True)
class FormEstimate:
    slug: str
    name: str
    x: float
    predicted: float
    half_width: float
    fit: stats.Fit


@dataclass(frozen=True)
class ScoreRange:
    predicted: float
    low: float
    high: float
    estimates: tuple[FormEstimate, ...]
    unused: tuple[str, ...] = ()  # slugs given that have no line (fewer than MIN_GROUP stories, or another scale)


@dataclass(frozen=True)
class PassChance:
    last: Entry
    band: data.PassBand

    @property
    def rate(self) -> stats.Rate | None:
        return self.band.rate


def latest_per_form(entries: list[Entry]) -> list[Entry]:
    """One entry per form and scale, the latest (or the last given, without dates): what the lines were fitted on."""
    chosen: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        key = (entry.slug, entry.scale)
        previous = chosen.get(key)
        if previous is None or (entry.taken_on or date.min) >= (previous.taken_on or date.min):
            chosen[key] = entry
    return list(chosen.values())


def score_range(lines: dict[tuple[str, str], tuple[str, stats.Fit]], entries: list[Entry]) -> ScoreRange | None:
    """The predicted real score and its range from `lines` {(slug, scale): (name, fit)}; None when no entry has a
    line."""
    estimates, unused = [], []
    for entry in latest_per_form(entries):
        line = lines.get((entry.slug, entry.scale))
        if line is None:
            unused.append(entry.slug)
            continue
        name, fit = line
        estimates.append(FormEstimate(slug=entry.slug, name=name, x=entry.score, predicted=fit.predict(entry.score),
                                      half_width=fit.half_width(entry.score), fit=fit))
    if not estimates:
        return None
    weights = [1 / e.half_width ** 2 for e in estimates]
    predicted = sum(w * e.predicted for w, e in zip(weights, estimates, strict=True)) / sum(weights)
    half = min(e.half_width for e in estimates)
    return ScoreRange(predicted=predicted, low=predicted - half, high=predicted + half, estimates=tuple(estimates),
                      unused=tuple(unused))


def lines_of(ins: data.Insights) -> dict[tuple[str, str], tuple[str, stats.Fit]]:
    """The calibrated self-assessments of an Insights, as score_range takes them."""
    return {(row.slug, row.scale): (row.name, row.fit) for row in ins.calibrated}


def last_nbme_entry(entries: list[Entry]) -> Entry | None:
    """The candidate's last NBME form (percent correct): the latest by date, else the last given."""
    nbme = [e for e in entries if e.slug.startswith(data.LAST_NBME_PREFIX) and e.scale == "percent"]
    if not nbme:
        return None
    return max(enumerate(nbme), key=lambda pair: (pair[1].taken_on or date.min, pair[0]))[1]


def pass_chance(bands: tuple[data.PassBand, ...], entries: list[Entry]) -> PassChance | None:
    """Step 1 (pass/fail): the band of the candidate's last NBME and how the stories in it ended; the band may
    hold no stories (n = 0) or fewer than MIN_GROUP (then its rate is None and the page says so)."""
    last = last_nbme_entry(entries)
    if last is None:
        return None
    low, high, label = data.band_of(last.score)
    band = next((b for b in bands if b.low == low), data.PassBand(low=low, high=high, label=label, n=0, passed=0))
    return PassChance(last=last, band=band)
