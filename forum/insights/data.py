"""What the stories say, counted by the database: `compute(step, background, year)` is the one entry point.

Five GROUP BY queries whatever the number of stories, each returning at most a few hundred rows (a count per year,
background and outcome; per resource and outcome; per prep week and outcome; per year and score; per practice cell).
Medians come from those small histograms, the least-squares fits from sums the database adds up. Every figure
passes the small-group rule in forum.insights.stats before it is stored in the result, so whatever shows an
Insights (page, panel, CSV) cannot show a group of fewer than MIN_GROUP stories.

Only published stories count: deleted and removed ones never do. The result depends only on the arguments and the
database (and the current year, for "the last three exam years"), so it can be memoised as a whole.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from .. import caching, exam
from ..extensions import db
from ..jobs import job
from ..models import BACKGROUNDS, PracticeScore, Resource, Story, StoryResource, utcnow
from . import stats

OUTCOME_KEYS = ("passed", "failed", "pending")
NO_BACKGROUND = "none"
BACKGROUND_LABELS = {**BACKGROUNDS, NO_BACKGROUND: "Not given"}
SCORE_BIN = 10  # score distribution in 10-point bins (230-239): fine enough to see a shape, coarse enough to fill
PRACTICE_BIN = 10  # practice-vs-real cells are 10 points (or 10 percent) square: a readable table per form
PRACTICE_YEARS = 3  # the scatter uses the last three exam years: scales and passing standards drift
TOP_RESOURCES = 12  # rows in the resources chart; the CSV and table hold the same


@dataclass(frozen=True)
class Outcomes:
    """How many stories, and how they ended; None where the small-group rule hides a count."""

    total: int | None
    passed: int | None = None
    failed: int | None = None
    pending: int | None = None

    @property
    def pass_rate(self) -> float | None:
        """Passed among those with a result, when both counts are shown."""
        if self.passed is None or self.failed is None:
            return None
        return stats.rate(self.passed, self.passed + self.failed)


@dataclass(frozen=True)
class BackgroundRow:
    background: str
    label: str
    outcomes: Outcomes


@dataclass(frozen=True)
class ResourceRow:
    """Stories with a result that used a resource: how many of those that passed, and of those that failed."""

    slug: str
    name: str
    passed: int | None
    failed: int | None

    @property
    def total(self) -> int | None:
        return None if self.passed is None or self.failed is None else self.passed + self.failed


@dataclass(frozen=True)
class PrepRow:
    group: str  # all | passed | failed
    label: str
    spread: stats.Spread


@dataclass(frozen=True)
class ScoreBin:
    low: int
    high: int
    count: int


@dataclass(frozen=True)
class Cell:
    """A square of the practice-vs-real scatter holding `count` stories (never fewer than MIN_GROUP)."""

    x_low: float
    y_low: int
    count: int


@dataclass(frozen=True)
class PracticeFit:
    slug: str
    name: str
    scale: str  # three_digit | percent
    fit: stats.Fit
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class YearRow:
    year: int
    outcomes: Outcomes
    median_score: float | None


@dataclass(frozen=True)
class Insights:
    step: str
    background: str
    year: int | None
    outcomes: Outcomes
    by_background: tuple[BackgroundRow, ...] = ()
    resources: tuple[ResourceRow, ...] = ()
    prep: tuple[PrepRow, ...] = ()
    scored: bool = False  # whether any exam in the selection reported a 3-digit score
    scores: stats.Spread | None = None
    score_bins: tuple[ScoreBin, ...] = ()
    practice_years: tuple[int, int] | None = None
    practice: tuple[PracticeFit, ...] = ()
    trend: tuple[YearRow, ...] = ()

    @property
    def shown(self) -> bool:
        """False when the selection holds fewer than MIN_GROUP stories: then nothing else is filled in."""
        return self.outcomes.total is not None

    def resource(self, slug: str) -> ResourceRow | None:
        return next((row for row in self.resources if row.slug == slug), None)

    def practice_fit(self, slug: str) -> PracticeFit | None:
        return next((row for row in self.practice if row.slug == slug), None)


def compute(step: str, background: str = "", year: int | None = None, *, today: date | None = None) -> Insights:
    """Everything /insights, the step panels and the resource panels show for one selection, in five queries,
    kept until a story is published, edited or removed (the insights scope; votes and comments change nothing
    here) or the cache lifetime, and then refreshed by a job while readers get the previous figures (the key
    holds the date: the practice window follows it).

    `background` is a key of BACKGROUNDS or "" for all; `year` an exam year or None for all. The caller validates
    them.
    """
    day = (today or utcnow().date()).isoformat()
    return caching.memoize("insights", _compute_on, step, background, year, day, scopes=(caching.INSIGHTS,),
                           refresh_later=refresh)


@job
def refresh(step: str, background: str, year: int | None, day: str) -> None:
    """After a story is published, edited or removed, the first reader gets the aggregates from before it, and
    this job computes the new ones (forum.caching.memoize)."""
    caching.remember("insights", _compute_on, step, background, year, day, scopes=(caching.INSIGHTS,))


def _compute_on(step: str, background: str, year: int | None, day: str) -> Insights:
    return _compute(step, background, year, date.fromisoformat(day))


def _compute(step: str, background: str, year: int | None, today: date) -> Insights:
    if step not in exam.STEPS:
        raise ValueError(f"unknown step {step!r}")
    where = _selection(step, background, year)
    scored_where = [*where, *_scored(step), Story.score.is_not(None)]
    window = (year, year) if year else (today.year - PRACTICE_YEARS + 1, today.year)
    # Every query runs even when the selection turns out too small, so a page costs the same number of queries
    # whatever the data (and a test can hold it to that).
    counts = _outcome_counts(where)
    score_counts = _score_counts(scored_where)
    used = _resource_counts(where)
    prep = _prep(where)
    practice = _practice(scored_where, window)
    if stats.shown_total(sum(counts.values())) is None:
        return Insights(step=step, background=background, year=year, outcomes=Outcomes(total=None))
    overall, by_background, trend = _outcome_tables(counts)
    by_score = _sum_by(score_counts, lambda key: key[1])
    return Insights(
        step=step, background=background, year=year, outcomes=overall, by_background=by_background,
        resources=_resources(used, overall),
        prep=prep,
        scored=_reports_scores(step, year),
        scores=stats.spread(by_score),
        score_bins=_score_bins(by_score),
        practice_years=window,
        practice=practice,
        trend=_with_median_scores(trend, score_counts),
    )


def _selection(step: str, background: str, year: int | None) -> list:
    """The WHERE clause of every query: published stories of the step, narrowed by the filters."""
    where = [Story.status == "published", Story.step == step]
    if background:
        where.append(Story.background == background)
    if year:
        where += [Story.exam_month >= date(year, 1, 1), Story.exam_month < date(year + 1, 1, 1)]
    return where


def _scored(step: str) -> list:
    """Exam months whose result carried a 3-digit score, by forum.exam's rules: never for CS, Step 1 only before
    pass/fail (January 2022 included, as exam.score_allowed judges a month by its first day)."""
    if step == "step1":
        switch = exam.STEP1_PASS_FAIL_FROM
        cutoff = date(switch.year, switch.month, 1)
        if exam.score_allowed(step, cutoff):
            cutoff = date(cutoff.year + cutoff.month // 12, cutoff.month % 12 + 1, 1)
        return [Story.exam_month < cutoff]
    return [] if exam.reports_numeric_score(step, exam.STEPS[step].first_exam_month) else [sa.false()]


def _reports_scores(step: str, year: int | None) -> bool:
    """Whether the selection can hold 3-digit scores at all (so the page explains a missing chart)."""
    if year is not None:
        return exam.score_allowed(step, date(year, 1, 1))
    return exam.reports_numeric_score(step, exam.STEPS[step].first_exam_month)


_YEAR = sa.extract("year", Story.exam_month)


def _outcome_counts(where: list) -> dict[tuple[int, str, str], int]:
    """{(exam year, background, outcome): stories}: the outcomes, the background rows and the trend in one query."""
    background = sa.func.coalesce(Story.background, NO_BACKGROUND)
    query = (sa.select(_YEAR, background, Story.outcome, sa.func.count())
             .where(*where).group_by(_YEAR, background, Story.outcome))
    return {(int(y), b, o): n for y, b, o, n in db.session.execute(query)}


def _score_counts(where: list) -> dict[tuple[int, int], int]:
    """{(exam year, score): stories}: the distribution, its median and the yearly medians in one query."""
    query = sa.select(_YEAR, Story.score, sa.func.count()).where(*where).group_by(_YEAR, Story.score)
    return {(int(y), int(s)): n for y, s, n in db.session.execute(query)}


def _sum_by(counts: dict, key) -> dict:
    totals: dict = defaultdict(int)
    for k, n in counts.items():
        totals[key(k)] += n
    return dict(totals)


def _outcome_tables(counts: dict) -> tuple[Outcomes, tuple[BackgroundRow, ...], tuple[YearRow, ...]]:
    """The overall outcomes, the outcomes by background and by exam year, suppressed together.

    The three share totals (the background rows and the year rows both add up to the overall outcomes), so one
    run of the small-group rule sees every line that adds up, and no view can be subtracted from another.
    """
    backgrounds = [key for key in BACKGROUND_LABELS if any(k[1] == key for k in counts)]
    years = sorted({key[0] for key in counts})
    values: dict[tuple, int] = defaultdict(int)
    for (year, background, outcome), n in counts.items():
        for prefix in (("all",), ("bg", background), ("yr", year)):
            values[prefix] += n
            values[(*prefix, outcome)] += n
    for prefix in [("all",), *[("bg", b) for b in backgrounds], *[("yr", y) for y in years]]:
        for outcome in OUTCOME_KEYS:
            values[prefix + (outcome,)] += 0  # an outcome nobody had is a 0, and 0 is part of the sum
    lines = []
    for kind, keys in (("bg", backgrounds), ("yr", years)):
        lines += [[(kind, key, o) for o in OUTCOME_KEYS] + [(kind, key)] for key in keys]
        lines += [[(kind, key, o) for key in keys] + [("all", o)] for o in OUTCOME_KEYS]
        lines.append([(kind, key) for key in keys] + [("all",)])
    lines.append([("all", o) for o in OUTCOME_KEYS] + [("all",)])
    shown = stats.suppress_lines(dict(values), lines, keep=(("all",),))

    def outcomes(prefix: tuple) -> Outcomes:
        return Outcomes(total=shown[prefix], **{o: shown[prefix + (o,)] for o in OUTCOME_KEYS})

    by_background = tuple(BackgroundRow(background=b, label=BACKGROUND_LABELS[b], outcomes=outcomes(("bg", b)))
                          for b in backgrounds if shown[("bg", b)])
    trend = tuple(YearRow(year=y, outcomes=outcomes(("yr", y)), median_score=None) for y in years
                  if shown[("yr", y)])
    return outcomes(("all",)), by_background, trend


def _resource_counts(where: list) -> dict[tuple[str, str], dict[str, int]]:
    """{(slug, name): {outcome: stories}}: how many stories that passed, and that failed, used each resource."""
    query = (sa.select(Resource.slug, Resource.name, Story.outcome, sa.func.count())
             .select_from(StoryResource).join(Story, Story.id == StoryResource.story_id)
             .join(Resource, Resource.id == StoryResource.resource_id)
             .where(*where, Story.outcome.in_(("passed", "failed")))
             .group_by(Resource.id, Resource.slug, Resource.name, Story.outcome))
    used: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for slug, name, outcome, n in db.session.execute(query):
        used[(slug, name)][outcome] = n
    return used


def _resources(used: dict[tuple[str, str], dict[str, int]], overall: Outcomes) -> tuple[ResourceRow, ...]:
    """Resource rows, most used by those who passed first.

    The denominators are the overall passed and failed counts as published (None when hidden), and a share is shown
    only when those who used the resource and those who did not are both groups of MIN_GROUP or more.
    """
    rows = []
    for (slug, name), n in used.items():
        row = ResourceRow(slug=slug, name=name, passed=stats.shown_share(n.get("passed", 0), overall.passed),
                          failed=stats.shown_share(n.get("failed", 0), overall.failed))
        if row.passed is not None or row.failed is not None:
            rows.append(row)
    rows.sort(key=lambda row: (-(row.passed or 0), -(row.failed or 0), row.name))
    return tuple(rows)


def _prep(where: list) -> tuple[PrepRow, ...]:
    """Median weeks of preparation (with quartiles) for all stories that gave them, and by outcome."""
    query = (sa.select(Story.outcome, Story.prep_weeks, sa.func.count())
             .where(*where, Story.prep_weeks.is_not(None)).group_by(Story.outcome, Story.prep_weeks))
    histograms: dict[str, dict[int, int]] = {group: defaultdict(int) for group in ("all", *OUTCOME_KEYS)}
    for outcome, weeks, n in db.session.execute(query):
        histograms["all"][weeks] += n
        histograms[outcome][weeks] += n
    sizes = stats.suppress_lines({group: sum(h.values()) for group, h in histograms.items()},
                                 [["all", *OUTCOME_KEYS]], keep=("all",))
    labels = {"all": "All stories", "passed": "Passed", "failed": "Failed"}
    return tuple(PrepRow(group=group, label=label, spread=stats.spread(histograms[group]))
                 for group, label in labels.items() if sizes[group] and sizes[group] >= stats.MIN_GROUP)


def _score_bins(by_score: dict[int, int]) -> tuple[ScoreBin, ...]:
    """The score distribution in SCORE_BIN-point bins, published with its n: suppressed as one line."""
    bins = _sum_by(by_score, lambda score: score // SCORE_BIN * SCORE_BIN)
    total = sum(bins.values())
    if total < stats.MIN_GROUP:
        return ()
    shown = stats.suppress(bins)
    return tuple(ScoreBin(low=low, high=low + SCORE_BIN - 1, count=n) for low, n in sorted(shown.items())
                 if n is not None)


def _with_median_scores(trend: tuple[YearRow, ...], score_counts: dict) -> tuple[YearRow, ...]:
    """Each shown year gets the median of its reported scores, when at least MIN_GROUP stories gave one."""
    rows = []
    for row in trend:
        scores = stats.spread({s: n for (y, s), n in score_counts.items() if y == row.year})
        rows.append(YearRow(year=row.year, outcomes=row.outcomes, median_score=scores.median if scores else None))
    return tuple(rows)


def _practice(scored_where: list, window: tuple[int, int]) -> tuple[PracticeFit, ...]:
    """Each self-assessment's practice score against the real score, in the exam years of the window.

    A story that took a form twice counts once, with its latest result (the one nearest the exam). The database
    groups the points into PRACTICE_BIN-square cells and sums each cell's x, y, x², y², xy, so the exact fit over all
    points comes from the cells, and only cells of MIN_GROUP or more stories are drawn.
    """
    first, last = window
    latest = (sa.select(PracticeScore.resource_id, PracticeScore.scale, PracticeScore.score.label("x"),
                        sa.cast(Story.score, sa.Float).label("y"),
                        sa.func.row_number().over(partition_by=(PracticeScore.story_id, PracticeScore.resource_id),
                                                  order_by=(PracticeScore.taken_on.desc(), PracticeScore.id.desc()))
                        .label("nth"))
              .join(Story, Story.id == PracticeScore.story_id)
              .where(*scored_where, Story.exam_month >= date(first, 1, 1), Story.exam_month < date(last + 1, 1, 1))
              .subquery())
    # Scores are whole points or tenths of a percent: round to tenths, then integer division, on both backends.
    x_cell = sa.cast(sa.func.round(latest.c.x * 10), sa.Integer) // (PRACTICE_BIN * 10)
    y_cell = sa.cast(latest.c.y, sa.Integer) // PRACTICE_BIN
    # One fit per assessment and scale: a Step 1 NBME form reported 3-digit scores, then percents (forum.scales).
    query = (sa.select(Resource.slug, Resource.name, latest.c.scale, x_cell, y_cell, sa.func.count(),
                       sa.func.sum(latest.c.x), sa.func.sum(latest.c.y), sa.func.sum(latest.c.x * latest.c.x),
                       sa.func.sum(latest.c.y * latest.c.y), sa.func.sum(latest.c.x * latest.c.y))
             .join(Resource, Resource.id == latest.c.resource_id)
             .where(latest.c.nth == 1)
             .group_by(Resource.id, Resource.slug, Resource.name, latest.c.scale, x_cell, y_cell))
    sums: dict[tuple, stats.Sums] = defaultdict(stats.Sums)
    cells: dict[tuple, dict[tuple[float, int], int]] = defaultdict(dict)
    for slug, name, scale, x, y, n, sx, sy, sxx, syy, sxy in db.session.execute(query):
        key = (slug, name, scale or "three_digit")
        sums[key] += stats.Sums(n, sx, sy, sxx, syy, sxy)
        cells[key][(x * PRACTICE_BIN, y * PRACTICE_BIN)] = n
    rows = []
    for (slug, name, scale), total in sums.items():
        line = stats.fit(total)
        if line is not None:
            shown = stats.suppress(cells[(slug, name, scale)])
            rows.append(PracticeFit(slug=slug, name=name, scale=scale, fit=line,
                                    cells=tuple(Cell(x_low=x, y_low=y, count=n)
                                                for (x, y), n in sorted(shown.items()) if n is not None)))
    rows.sort(key=lambda row: (-row.fit.n, row.name))
    return tuple(rows)
