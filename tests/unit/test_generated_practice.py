"""The generated practice scores (the bench's and the demo's) relate to the real result as candidates report
practice tests do, so a predictor's error measured on generated data means something: each generator draws many
stories from a fixed seed, on the catalogue as shipped, and the relationship is checked form by form."""
import json
import random
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

import forum
from bench import tables
from bench.rows import Context, Counts
from forum import demo_sample, practice_model
from forum.models import Resource, ResourceScale

CATALOGUE = json.loads((Path(forum.__file__).parent / "data" / "resources.json").read_text(encoding="utf-8"))
NOW = datetime(2026, 6, 1, 12, 0)
BENCH_STORIES = 6_000  # about 250 practice scores per CK form
DEMO_STORIES = 6_000  # the demo: 1-3 forms a story, and fails are rarer


@dataclass(frozen=True)
class Practice:
    step: str
    slug: str
    scale: str
    score: float
    real: int | None  # the story's 3-digit score; None where the exam reported none
    outcome: str
    story: int
    days_before: int


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def assessments() -> list[Resource]:
    """The shipped self-assessments as unsaved Resource rows, dated scale periods included."""
    found = []
    for number, entry in enumerate(CATALOGUE, start=1):
        if entry["kind"] != "self-assessment":
            continue
        resource = Resource(id=number, slug=entry["slug"], name=entry["name"], kind=entry["kind"],
                            steps=" ".join(entry["steps"]), scale=entry.get("scale"),
                            released_on=_day(entry.get("released")), retired_on=_day(entry.get("retired")))
        resource.scale_periods = [ResourceScale(valid_from=_day(row["from"]), scale=row["scale"], source=row["source"])
                                  for row in entry.get("scales") or []]
        found.append(resource)
    return found


def bench_practice() -> list[Practice]:
    """bench.tables.practice_scores over exam records from bench.tables.exam_record, its catalogue and writer faked."""
    rng = random.Random(20_261_124)
    ctx = Context(engine=None, counts=Counts.for_scale(BENCH_STORIES), rng=rng, now=NOW,
                  tables={"practice_scores": SimpleNamespace(c={"scale": None})})
    for _ in range(BENCH_STORIES):
        record = tables.exam_record(rng, NOW - timedelta(days=rng.uniform(0, 730)), NOW.date())
        ctx.story_step.append(record["step"])
        ctx.story_month.append(record["exam_month"])
        ctx.story_score.append(record["score"])
        ctx.story_outcome.append(record["outcome"])
    catalogue = assessments()
    slugs = {r.id: r.slug for r in catalogue}
    written = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tables, "load_catalogue", lambda _ctx: catalogue)
        patch.setattr(tables, "insert", lambda _ctx, _table, rows, _total: written.extend(rows))
        tables.practice_scores(ctx)
    return [Practice(step=ctx.story_step[i], slug=slugs[row["resource_id"]], scale=row["scale"], score=row["score"],
                     real=ctx.story_score[i], outcome=ctx.story_outcome[i], story=row["story_id"],
                     days_before=(ctx.story_month[i] - row["taken_on"]).days)
            for row in written for i in [row["story_id"] - 1]]


def demo_practice() -> list[Practice]:
    """forum.demo_sample's records and practice scores, as seed_sample draws them."""
    rng = random.Random(demo_sample.SEED)
    catalogue = assessments()
    by_step = {step: [r for r in catalogue if step in r.step_codes] for step in demo_sample.STEP_WEIGHTS}
    found = []
    for story in range(DEMO_STORIES):
        record = demo_sample._record(rng, NOW.date())
        for practice in demo_sample._practice(rng, record, by_step[record["step"]], NOW.date()):
            found.append(Practice(step=record["step"], slug=practice.resource.slug, scale=practice.scale,
                                  score=practice.score, real=record["score"], outcome=record["outcome"], story=story,
                                  days_before=(record["exam_month"] - practice.taken_on).days))
    return found


@pytest.fixture(scope="module", params=["bench", "demo"])
def generated(request) -> list[Practice]:
    return bench_practice() if request.param == "bench" else demo_practice()


def three_digit(generated: list[Practice], prefix: str) -> list[Practice]:
    """3-digit practice scores on forms whose slug starts with `prefix`, from stories with a real score."""
    return [p for p in generated if p.slug.startswith(prefix) and p.scale == "three_digit" and p.real is not None]


@pytest.mark.parametrize("prefix", ["uwsa-1-step-2-ck", "uwsa-2-step-2-ck", "nbme-ccssa-", "amboss-"])
def test_a_three_digit_form_tracks_the_real_score_with_realistic_noise(generated, prefix):
    """residencyadvisor's table: r about 0.75-0.90 by form; real on practice regresses towards the mean."""
    scores = three_digit(generated, prefix)
    practice, real = [p.score for p in scores], [p.real for p in scores]
    assert len(scores) >= 100
    slope = statistics.linear_regression(practice, real).slope
    assert 0.5 <= slope <= 1.1
    assert 0.6 <= statistics.correlation(practice, real) <= 0.95


def test_uwsa_1_over_predicts_more_than_uwsa_2(generated):
    def mean_gap(prefix: str) -> float:
        return statistics.fmean(p.score - p.real for p in three_digit(generated, prefix))

    assert mean_gap("uwsa-1-") > mean_gap("uwsa-2-") + 2


def test_nbme_forms_do_not_all_run_alike(generated):
    """Each NBME form has its own bias, so a calibration per form has something to find."""
    gaps = {p.slug: [] for p in three_digit(generated, "nbme-ccssa-")}
    for p in three_digit(generated, "nbme-ccssa-"):
        gaps[p.slug].append(p.score - p.real)
    means = [statistics.fmean(g) for g in gaps.values() if len(g) >= 50]
    assert len(means) >= 5 and max(means) - min(means) >= 3


def test_practice_rises_towards_the_exam(generated):
    """People improve: the same forms read lower taken five weeks and more before the exam than in the last two."""
    scores = three_digit(generated, "")
    early = statistics.fmean(p.score - p.real for p in scores if p.days_before >= 35)
    late = statistics.fmean(p.score - p.real for p in scores if p.days_before <= 14)
    assert 2 <= late - early <= 12


def test_ck_free_120_percent_follows_the_real_score(generated):
    scores = [p for p in generated if p.step == "step2ck" and p.slug.startswith("free-120") and p.real is not None]
    assert len(scores) >= 100 and all(p.scale == "percent" and 30 <= p.score <= 99 for p in scores)
    assert statistics.correlation([p.score for p in scores], [p.real for p in scores]) > 0.5


def test_pass_fail_step1_passes_more_often_on_a_high_nbme_percent(generated):
    """The outcome follows the ability the NBME percent measures: a story whose NBME forms average 65% or more
    passes far more often than one below 55%."""
    by_story = {}
    for p in generated:
        if p.step == "step1" and p.real is None and p.scale == "percent" and p.slug.startswith("nbme-cbssa"):
            by_story.setdefault(p.story, (p.outcome, []))[1].append(p.score)

    def pass_rate(keep) -> float:
        outcomes = [outcome == "passed" for outcome, scores in by_story.values()
                    if outcome != "pending" and keep(statistics.fmean(scores))]
        assert len(outcomes) >= 20
        return statistics.fmean(outcomes)

    high, low = pass_rate(lambda percent: percent >= 65), pass_rate(lambda percent: percent < 55)
    assert high >= 0.9 and high > low + 0.25


@pytest.mark.parametrize("pass_chance", [practice_model.pass_chance], ids=["shared"])
def test_the_pass_chance_is_even_at_52_percent_and_high_from_65(pass_chance):
    """NBME's guidance reads 60-65% EPC as a high pass probability."""
    assert pass_chance(52) == pytest.approx(0.5)
    assert 0.94 <= pass_chance(65) <= 0.98
    assert pass_chance(45) < pass_chance(55) < pass_chance(60)
