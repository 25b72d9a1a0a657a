"""What the stories say, counted by the database: `compute(step, background, year)` is the one entry point.

Six queries whatever the number of stories: five GROUP BYs returning at most a few hundred rows (a count per year,
background and outcome; per resource and outcome; per prep week and outcome; per year and score; the years and
backgrounds that have stories, for the filter) and one row per story and self-assessment in the practice window.
Medians come from the small histograms, least-squares lines from sums over the practice rows. Every count is kept;
rates, medians and lines come from forum.insights.stats, which gives None for a group under MIN_GROUP, so whatever
shows an Insights (page, panel, CSV, API, predictor) has an interval beside each figure or the words "fewer than
10 stories" instead.

Only published stories count: deleted and removed ones never do. The result depends only on the arguments and the
database (and the current year, for "the last three exam years"), so it can be memoised as a whole.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa

from .. import caching, exam, scales
from ..extensions import db
from ..jobs import job
from ..models import BACKGROUNDS, PracticeScore, Resource, Story, StoryResource, utcnow
from . import stats

OUTCOME_KEYS = ("passed", "failed", "pending")
NO_BACKGROUND = "none"
BACKGROUND_LABELS = {**BACKGROUNDS, NO_BACKGROUND: "Not given"}
SCORE_BIN = 10  # score distribution in 10-point bins (230-239): fine enough to see a shape, coarse enough to fill
PRACTICE_YEARS = 3  # the scatter uses the last three exam years: scales and passing standards drift
TOP_RESOURCES = 12  # rows in the resources chart; the CSV and table hold the same
MAX_POINTS = 500  # stories drawn per scatter; past that an even sample is drawn (the line is fitted to all)
EXAM_DAY = 15  # stories give the exam month, not the day: days before the exam are counted to the 15th
LAST_NBME_PREFIX = "nbme-cbssa-"  # Step 1's NBME forms; the last one taken is the pass-rate calibration's x
BAND_WIDTH = 10  # Step 1 pass rate by last NBME percent: 10-point bands (5 would leave most bands under 10),
BAND_FLOOR, BAND_CEILING = 40, 80  # with everything below 50 in one band and everything from 80 in another


@dataclass(frozen=True)
class Outcomes:
    """How many stories, and how they ended (every count is shown)."""

    total: int
    passed: int = 0
    failed: int = 0
    pending: int = 0

    @property
    def pass_rate(self) -> stats.Rate | None:
        """Passed among those with a result, with its interval; None under MIN_GROUP results."""
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
    passed: int
    failed: int

    @property
    def total(self) -> int:
        return self.passed + self.failed


@dataclass(frozen=True)
class PrepRow:
    group: str  # all | passed | failed
    label: str
    n: int
    spread: stats.Spread | None


@dataclass(frozen=True)
class ScoreBin:
    low: int
    high: int
    count: int


@dataclass(frozen=True)
class Point:
    """One story on a practice scatter: its practice score, its real score (None for a pass/fail exam)."""

    x: float
    y: int | None
    story_id: int
    outcome: str


@dataclass(frozen=True)
class PracticeFit:
    """One self-assessment (on one scale) against the real result: the calibration a prediction uses.

    n counts the stories with both a practice and a real score (the line's points); fit is None under MIN_GROUP.
    days: days between the practice test and the exam, over the same stories. points: the stories to draw (all of
    them up to MAX_POINTS, else an even sample; `sampled` says so).
    """

    slug: str
    name: str
    scale: str  # three_digit | percent
    n: int
    fit: stats.Fit | None
    days: stats.Spread | None
    points: tuple[Point, ...]
    sampled: bool = False


@dataclass(frozen=True)
class PassBand:
    """Step 1: stories whose last NBME form before the exam scored in [low, high] percent, and how many passed."""

    low: int
    high: int
    label: str
    n: int
    passed: int

    @property
    def rate(self) -> stats.Rate | None:
        return stats.rate(self.passed, self.n)


@dataclass(frozen=True)
class YearRow:
    year: int
    outcomes: Outcomes
    scores: stats.Spread | None


@dataclass(frozen=True)
class Insights:
    step: str
    background: str
    year: int | None
    outcomes: Outcomes
    verified: bool = False
    by_background: tuple[BackgroundRow, ...] = ()
    resources: tuple[ResourceRow, ...] = ()
    prep: tuple[PrepRow, ...] = ()
    scored: bool = False  # whether any exam in the selection reported a 3-digit score
    scores: stats.Spread | None = None
    scored_n: int = 0  # stories that gave a 3-digit score
    score_bins: tuple[ScoreBin, ...] = ()
    practice_years: tuple[int, int] | None = None
    practice: tuple[PracticeFit, ...] = ()
    pass_bands: tuple[PassBand, ...] = ()
    trend: tuple[YearRow, ...] = ()
    years: tuple[int, ...] = ()  # exam years with stories of this step: what the filter offers
    backgrounds: tuple[str, ...] = ()  # backgrounds with stories of this step

    @property
    def shown(self) -> bool:
        """Whether there is anything to show: every count is shown, so only an empty selection has nothing."""
        return self.outcomes.total > 0

    def resource(self, slug: str) -> ResourceRow | None:
        return next((row for row in self.resources if row.slug == slug), None)

    def practice_fit(self, slug: str) -> PracticeFit | None:
        return next((row for row in self.practice if row.slug == slug), None)

    @property
    def calibrated(self) -> tuple[PracticeFit, ...]:
        """The self-assessments with a line (MIN_GROUP or more stories gave both scores)."""
        return tuple(row for row in self.practice if row.fit is not None)


def compute(step: str, background: str = "", year: int | None = None, *, verified: bool = False,
            today: date | None = None) -> Insights:
    """Everything /insights, the step and resource panels, the API and the predictor show for one selection, in six
    queries, kept until a story is published, edited or removed (the insights scope; votes and comments change
    nothing here) or the cache lifetime, and then refreshed by a job while readers get the previous figures (the
    key holds the date: the practice window follows it).

    `background` is a key of BACKGROUNDS or "" for all; `year` an exam year or None for all; `verified` keeps only
    stories whose outcome a moderator verified. The caller validates them.
    """
    day = (today or utcnow().date()).isoformat()
    return caching.memoize("insights", _compute_on, step, background, year, verified, day,
                           scopes=(caching.INSIGHTS,), refresh_later=refresh)


@job
def refresh(step: str, background: str, year: int | None, verified: bool, day: str) -> None:
    """After a story is published, edited or removed, the first reader gets the aggregates from before it, and
    this job computes the new ones (forum.caching.memoize)."""
    caching.remember("insights", _compute_on, step, background, year, verified, day, scopes=(caching.INSIGHTS,))


def _compute_on(step: str, background: str, year: int | None, verified: bool, day: str) -> Insights:
    return _compute(step, background, year, date.fromisoformat(day), verified=verified)


def _compute(step: str, background: str, year: int | None, today: date, *, verified: bool = False) -> Insights:
    if step not in exam.STEPS:
        raise ValueError(f"unknown step {step!r}")
    where = selection(step, background, year, verified)
    scored_where = [*where, *_scored(step), Story.score.is_not(None)]
    window = practice_window(step, year, today)
    # Every query runs even when the selection turns out empty, so a page costs the same number of queries
    # whatever the data (and a test can hold it to that).
    counts = _outcome_counts(where)
    score_counts = _score_counts(scored_where)
    used = _resource_counts(where)
    prep = _prep(where)
    rows = practice_rows(where, window)
    years, backgrounds = _available(selection(step, "", None, verified))
    overall, by_background, trend = _outcome_tables(counts)
    by_score = _sum_by(score_counts, lambda key: key[1])
    return Insights(
        step=step, background=background, year=year, verified=verified, outcomes=overall,
        by_background=by_background, resources=_resources(used), prep=prep,
        scored=_reports_scores(step, year),
        scores=stats.spread(by_score), scored_n=sum(by_score.values()),
        score_bins=_score_bins(by_score),
        practice_years=window,
        practice=calibrate(rows),
        pass_bands=pass_bands(rows) if step == "step1" else (),
        trend=_with_scores(trend, score_counts),
        years=years, backgrounds=backgrounds,
    )


def practice_window(step: str, year: int | None, today: date) -> tuple[int, int]:
    """The exam years whose practice scores are calibrated: the chosen year, else the last PRACTICE_YEARS (forms,
    scales and standards drift), except that pass/fail Step 1 takes its whole era, from the first pass/fail exam
    year on: one regime (percent forms, a pass or a fail), and each story counts once, in one band."""
    if year:
        return year, year
    first = today.year - PRACTICE_YEARS + 1
    if step == "step1":
        first = min(first, exam.STEP1_PASS_FAIL_FROM.year)
    return first, today.year


def selection(step: str, background: str, year: int | None, verified: bool = False) -> list:
    """The WHERE clause of every query: published stories of the step, narrowed by the filters."""
    where = [Story.status == "published", Story.step == step]
    if background:
        where.append(Story.background == background)
    if year:
        where += [Story.exam_month >= date(year, 1, 1), Story.exam_month < date(year + 1, 1, 1)]
    if verified:
        where.append(Story.verified_at.is_not(None))
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


def _available(step_where: list) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The exam years and the backgrounds of the step that have stories: what the filter offers (for the step, not
    the chosen background, so changing one select never strands the other)."""
    query = sa.select(_YEAR, Story.background).where(*step_where).group_by(_YEAR, Story.background)
    rows = db.session.execute(query).all()
    return (tuple(sorted({int(y) for y, _ in rows}, reverse=True)),
            tuple(key for key in BACKGROUNDS if any(b == key for _, b in rows)))


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
    """The overall outcomes, the outcomes by background and by exam year: every count, none hidden."""
    def outcomes(keep) -> Outcomes:
        by = {o: sum(n for key, n in counts.items() if keep(key) and key[2] == o) for o in OUTCOME_KEYS}
        return Outcomes(total=sum(by.values()), **by)

    backgrounds = [key for key in BACKGROUND_LABELS if any(k[1] == key for k in counts)]
    years = sorted({key[0] for key in counts})
    by_background = tuple(BackgroundRow(background=b, label=BACKGROUND_LABELS[b],
                                        outcomes=outcomes(lambda key, b=b: key[1] == b)) for b in backgrounds)
    trend = tuple(YearRow(year=y, outcomes=outcomes(lambda key, y=y: key[0] == y), scores=None) for y in years)
    return outcomes(lambda key: True), by_background, trend


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


def _resources(used: dict[tuple[str, str], dict[str, int]]) -> tuple[ResourceRow, ...]:
    """Resource rows, most used by those who passed first (the shares are taken of the overall passed and failed)."""
    rows = [ResourceRow(slug=slug, name=name, passed=n.get("passed", 0), failed=n.get("failed", 0))
            for (slug, name), n in used.items()]
    rows.sort(key=lambda row: (-row.passed, -row.failed, row.name))
    return tuple(rows)


def _prep(where: list) -> tuple[PrepRow, ...]:
    """Weeks of preparation for all stories that gave them, and by outcome: the count, and the median with its
    interval and the quartiles for a group of MIN_GROUP or more."""
    query = (sa.select(Story.outcome, Story.prep_weeks, sa.func.count())
             .where(*where, Story.prep_weeks.is_not(None)).group_by(Story.outcome, Story.prep_weeks))
    histograms: dict[str, dict[int, int]] = {group: defaultdict(int) for group in ("all", *OUTCOME_KEYS)}
    for outcome, weeks, n in db.session.execute(query):
        histograms["all"][weeks] += n
        histograms[outcome][weeks] += n
    labels = {"all": "All stories", "passed": "Passed", "failed": "Failed"}
    return tuple(PrepRow(group=group, label=label, n=sum(histograms[group].values()),
                         spread=stats.spread(histograms[group]))
                 for group, label in labels.items() if histograms[group])


def _score_bins(by_score: dict[int, int]) -> tuple[ScoreBin, ...]:
    """The score distribution in SCORE_BIN-point bins: every count."""
    bins = _sum_by(by_score, lambda score: score // SCORE_BIN * SCORE_BIN)
    return tuple(ScoreBin(low=low, high=low + SCORE_BIN - 1, count=n) for low, n in sorted(bins.items()))


def _with_scores(trend: tuple[YearRow, ...], score_counts: dict) -> tuple[YearRow, ...]:
    """Each year gets the median of its reported scores (None under MIN_GROUP)."""
    return tuple(YearRow(year=row.year, outcomes=row.outcomes,
                         scores=stats.spread({s: n for (y, s), n in score_counts.items() if y == row.year}))
                 for row in trend)


class PracticeRow(NamedTuple):
    """One story's latest result on one self-assessment, with the story's real result: a calibration's raw data.
    A named tuple, not a dataclass: a step holds tens of thousands of these, and tuples are built several times
    faster."""

    story_id: int
    slug: str
    name: str
    scale: str
    x: float
    taken_on: date
    exam_month: date
    score: int | None
    outcome: str
    background: str | None

    @property
    def days_before(self) -> int:
        return max((self.exam_month.replace(day=EXAM_DAY) - self.taken_on).days, 0)


def practice_rows(where: list, window: tuple[int, int]) -> list[PracticeRow]:
    """Each story's latest score on each self-assessment (the one nearest the exam), for stories of the selection
    with exams in the window, in one query. A form taken twice counts once."""
    first, last = window
    latest = (sa.select(PracticeScore.story_id, PracticeScore.resource_id, PracticeScore.scale,
                        PracticeScore.score, PracticeScore.taken_on, Story.exam_month, Story.score.label("real"),
                        Story.outcome, Story.background,
                        sa.func.row_number().over(partition_by=(PracticeScore.story_id, PracticeScore.resource_id),
                                                  order_by=(PracticeScore.taken_on.desc(), PracticeScore.id.desc()))
                        .label("nth"))
              .join(Story, Story.id == PracticeScore.story_id)
              .where(*where, Story.exam_month >= date(first, 1, 1), Story.exam_month < date(last + 1, 1, 1))
              .subquery())
    query = (sa.select(latest.c.story_id, Resource.slug, Resource.name, latest.c.scale, latest.c.score,
                       latest.c.taken_on, latest.c.exam_month, latest.c.real, latest.c.outcome, latest.c.background)
             .join(Resource, Resource.id == latest.c.resource_id)
             .where(latest.c.nth == 1).order_by(latest.c.story_id, Resource.slug))
    default = scales.THREE_DIGIT
    return [PracticeRow(sid, slug, name, scale or default, float(x), taken_on, month, score, outcome, background)
            for sid, slug, name, scale, x, taken_on, month, score, outcome, background
            in db.session.connection().execute(query)]  # Core, not the ORM: no per-row loading overhead


def calibrate(rows: list[PracticeRow]) -> tuple[PracticeFit, ...]:
    """Per self-assessment and scale: the least-squares line of the real score on the practice score over the
    stories that gave both, the days between test and exam, and the points to draw. Forms seen only on pass/fail
    exams are listed too (n = 0, no line): their calibration is the pass-rate bands."""
    groups: dict[tuple[str, str, str], list[PracticeRow]] = defaultdict(list)
    for row in rows:
        groups[(row.slug, row.name, row.scale)].append(row)
    result = []
    for (slug, name, scale), members in groups.items():
        scored = [row for row in members if row.score is not None]
        sums = stats.Sums.of_points([(row.x, row.score) for row in scored])
        days: dict[int, int] = defaultdict(int)
        for row in scored or members:
            days[row.days_before] += 1
        drawn = members if len(members) <= MAX_POINTS else members[::-(-len(members) // MAX_POINTS)]
        result.append(PracticeFit(slug=slug, name=name, scale=scale, n=len(scored), fit=stats.fit(sums),
                                  days=stats.spread(days), sampled=len(drawn) < len(members),
                                  points=tuple(Point(x=row.x, y=row.score, story_id=row.story_id,
                                                     outcome=row.outcome) for row in drawn)))
    result.sort(key=lambda row: (-row.n, -len(row.points), row.name))
    return tuple(result)


def last_nbme(rows: list[PracticeRow]) -> dict[int, PracticeRow]:
    """{story id: its last NBME form (percent correct) before the exam}, for stories with a result."""
    last: dict[int, PracticeRow] = {}
    for row in rows:
        if row.slug.startswith(LAST_NBME_PREFIX) and row.scale == scales.PERCENT and row.outcome != "pending":
            if row.story_id not in last or row.taken_on > last[row.story_id].taken_on:
                last[row.story_id] = row
    return last


def band_of(percent: float) -> tuple[int, int, str]:
    """The pass-rate band a last-NBME percent falls in: (low, high, label)."""
    low = min(max(int(percent // BAND_WIDTH * BAND_WIDTH), BAND_FLOOR), BAND_CEILING)
    if low == BAND_FLOOR:
        return 0, BAND_FLOOR + BAND_WIDTH - 1, f"below {BAND_FLOOR + BAND_WIDTH}%"
    if low == BAND_CEILING:
        return BAND_CEILING, 100, f"{BAND_CEILING}% or more"
    return low, low + BAND_WIDTH - 1, f"{low}–{low + BAND_WIDTH - 1}%"


def pass_bands(rows: list[PracticeRow]) -> tuple[PassBand, ...]:
    """Step 1: the pass rate among stories by the band of their last NBME percent before the exam."""
    counts: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in last_nbme(rows).values():
        tally = counts[band_of(row.x)]
        tally[0] += 1
        tally[1] += row.outcome == "passed"
    return tuple(PassBand(low=low, high=high, label=label, n=n, passed=passed)
                 for (low, high, label), (n, passed) in sorted(counts.items()))
