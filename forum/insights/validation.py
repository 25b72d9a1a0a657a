"""How good the predictor is, measured rather than claimed: each story is left out in turn, predicted from all the
others with forum.insights.predict exactly as /predict does, and compared with what really happened.

- A step that reports a 3-digit score: for each story with a real score and practice scores, every form's line is
  fitted again without that story (its point taken out of the form's sums), then predict.score_range gives the
  range. Measured: the mean absolute error of the prediction, and the share of real scores inside the 95% range.
- Step 1 (pass/fail): for each story with a last NBME form, the pass rate of its band without the story itself
  (predict.pass_chance over the bands less that story); a band left with fewer than MIN_GROUP stories predicts
  nothing, as on the page. Measured: the Brier score, the mean of (outcome − chance)², 0 for a perfect forecaster
  and 0.25 for one who always says 50%; and how often the likelier outcome happened.

Sums are built once per form and scale, and a story's own point is subtracted from them, so the measurement costs
one query and time in proportion to the practice rows, not a refit over every other story for each story.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from .. import caching, exam
from ..jobs import job
from ..models import utcnow
from . import data, predict, stats


@dataclass(frozen=True)
class Measured:
    """The predictor's record on one step's stories, each predicted with itself left out.

    n: stories predicted. mean_abs_error (points) and coverage (0-1, real scores inside the 95% range) for a step
    with 3-digit scores; brier and accuracy (0-1, the likelier outcome happened) for pass/fail Step 1; the others
    None. note: the same in a sentence, which the predict page and `flask insights validate` show.
    """

    step: str
    n: int
    mean_abs_error: float | None
    coverage: float | None
    brier: float | None
    note: str
    accuracy: float | None = None


def measured(step: str, *, verified: bool = False) -> Measured | None:
    """The predictor's leave-one-out record for `step` (only verified stories with `verified`); None when not one
    story could be predicted. Kept until a story is published, edited or removed, then refreshed by a job while
    readers get the previous record (the key holds the date: the practice window follows it)."""
    day = utcnow().date().isoformat()
    # Wrapped in a tuple: the cache takes a stored None for a miss, and "nothing to measure" is worth keeping too.
    return caching.memoize("validation", _measure_on, step, verified, day,
                           scopes=(caching.INSIGHTS,), refresh_later=refresh)[0]


@job
def refresh(step: str, verified: bool, day: str) -> None:
    """Compute the record after a story write, while readers get the previous one (forum.caching.memoize)."""
    caching.remember("validation", _measure_on, step, verified, day, scopes=(caching.INSIGHTS,))


def _measure_on(step: str, verified: bool, day: str) -> tuple[Measured | None]:
    return (measure(step, verified=verified, today=date.fromisoformat(day)),)


def measure(step: str, *, verified: bool = False, today: date | None = None) -> Measured | None:
    """measured() without the cache: one query over the practice window data.compute uses."""
    if step not in exam.STEPS:
        raise ValueError(f"unknown step {step!r}")
    today = today or utcnow().date()
    rows = data.practice_rows(data.selection(step, "", None, verified), data.practice_window(step, None, today))
    # As /predict decides (forum.insights.people_like_me): a score range where the exam reports a score today.
    if exam.reports_numeric_score(step, today):
        return _score_record(step, rows)
    return _pass_record(step, rows)


def _entries_by_story(rows: list[data.PracticeRow]) -> dict[int, list[predict.Entry]]:
    """Each story's practice scores as the candidate would give them on /predict."""
    entries: dict[int, list[predict.Entry]] = defaultdict(list)
    for row in rows:
        entries[row.story_id].append(predict.Entry(slug=row.slug, scale=row.scale, score=row.x,
                                                   taken_on=row.taken_on))
    return entries


def _score_record(step: str, rows: list[data.PracticeRow]) -> Measured | None:
    """Leave-one-out on the least-squares lines: each story's forms refitted without it, its score predicted."""
    scored = [row for row in rows if row.score is not None]
    sums: dict[tuple[str, str], stats.Sums] = defaultdict(stats.Sums)
    for row in scored:
        sums[(row.slug, row.scale)] += stats.Sums.of(row.x, row.score)
    by_story: dict[int, list[data.PracticeRow]] = defaultdict(list)
    for row in scored:
        by_story[row.story_id].append(row)
    entries = _entries_by_story(scored)
    errors, inside = [], 0
    for story_id, own in by_story.items():
        lines = {}
        for row in own:
            fit = stats.fit(sums[(row.slug, row.scale)] - stats.Sums.of(row.x, row.score))
            if fit is not None:
                lines[(row.slug, row.scale)] = (row.name, fit)
        predicted = predict.score_range(lines, entries[story_id])
        if predicted is None:
            continue
        real = own[0].score
        errors.append(abs(predicted.predicted - real))
        inside += predicted.low <= real <= predicted.high
    if not errors:
        return None
    n, mean_error, coverage = len(errors), sum(errors) / len(errors), inside / len(errors)
    note = (f"{n} stories predicted leaving each out; mean absolute error {mean_error:.1f} points; "
            f"{coverage:.0%} of real scores inside the 95% range")
    return Measured(step=step, n=n, mean_abs_error=mean_error, coverage=coverage, brier=None, note=note)


def _pass_record(step: str, rows: list[data.PracticeRow]) -> Measured | None:
    """Leave-one-out on the pass-rate bands: each story's band counted without it, its outcome forecast."""
    last = data.last_nbme(rows)
    tally: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in last.values():
        tally[data.band_of(row.x)][0] += 1
        tally[data.band_of(row.x)][1] += row.outcome == "passed"
    entries = _entries_by_story(rows)
    squares, likelier = [], 0.0
    for story_id, row in last.items():
        own, passed = data.band_of(row.x), row.outcome == "passed"
        bands = tuple(data.PassBand(low=low, high=high, label=label, n=n - ((low, high, label) == own),
                                    passed=k - ((low, high, label) == own and passed))
                      for (low, high, label), (n, k) in tally.items())
        chance = predict.pass_chance(bands, entries[story_id])
        rate = chance.rate if chance is not None else None
        if rate is None:
            continue
        p = rate.value / 100
        squares.append((passed - p) ** 2)
        # At even odds neither outcome is the likelier one: it counts half, as a coin toss would score.
        likelier += 0.5 if p == 0.5 else float((p > 0.5) == passed)
    if not squares:
        return None
    n, brier, accuracy = len(squares), sum(squares) / len(squares), likelier / len(squares)
    note = (f"{n} stories predicted leaving each out; Brier score {brier:.2f}; "
            f"the likelier outcome happened for {accuracy:.0%}")
    return Measured(step=step, n=n, mean_abs_error=None, coverage=None, brier=brier, note=note, accuracy=accuracy)


def describe(step: str, record: Measured | None) -> str:
    """One line for `flask insights validate`: "Step 2 CK: 187 stories predicted leaving each out; ..."."""
    label = exam.STEPS[step].label
    if record is None:
        return f"{label}: no story could be predicted (too few stories with practice scores and a result)."
    return f"{label}: {record.note}"
