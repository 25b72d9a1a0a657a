"""`flask insights validate` and forum.insights.validation: the predictor's error, measured by leaving each story out.

The expected figures are computed here from the points themselves, by refitting plain least squares without each
story in turn (and for Step 1 by counting each band without the story), never by the module's own code.

Step 2 CK set (exams last year, UWSA 2 on the 3-digit scale): 13 stories at x = 200, 205, ... 260 with
y = x + 10 + e, e = 2, -2, 1, -1, 0 repeating, and the last story 40 points above its line: every other story's
real score falls inside its leave-one-out 95% range, the outlier's does not. Around them, stories that must not
count: a pending one, a deleted one, one from five years ago, one on a form with a 3-story line.
"""
import math
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.insights import validation
from forum.models import PracticeScore, Resource, utcnow
from tests.builders import QueryCounter, make_resource, make_story, make_user

THIS_YEAR = utcnow().year
EXAM = date(THIS_YEAR - 1, 6, 1)
T_975_10 = 2.2281  # Student's t, 97.5th percentile, 10 degrees of freedom (a printed table): 12 points per refit
RESIDUALS = [2, -2, 1, -1, 0, 2, -2, 1, -1, 0, 2, -2, 40]


def practice(story, resource, score, taken_on, scale="three_digit"):
    db.session.add(PracticeScore(story_id=story.id, resource_id=resource.id, score=score, scale=scale,
                                 taken_on=taken_on))
    db.session.commit()


def least_squares(points):
    """(intercept, slope, residual sd, n, mean x, Sxx) of the points, written out."""
    n = len(points)
    mean_x, mean_y = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    intercept = mean_y - slope * mean_x
    sd = math.sqrt(sum((y - intercept - slope * x) ** 2 for x, y in points) / (n - 2))
    return intercept, slope, sd, n, mean_x, sxx


def make_ck_set(n=13, *, residuals=RESIDUALS, form_slug="uwsa-2"):
    """The Step 2 CK stories above; returns the (practice, real) points of the stories that count."""
    uwsa = make_resource("UWSA 2", slug=form_slug, kind="self-assessment", steps=("step2ck",), scale="three_digit")
    author = make_user(background="img")
    points = []
    for i in range(n):
        x, y = 200 + 5 * i, 200 + 5 * i + 10 + residuals[i]
        story = make_story(author, step="step2ck", exam_month=EXAM, outcome="passed", score=y, resources=[uwsa])
        practice(story, uwsa, x, EXAM - timedelta(days=20))
        practice(story, uwsa, 150, EXAM - timedelta(days=90))  # an earlier try: only the latest counts
        points.append((x, y))
    pending = make_story(author, step="step2ck", exam_month=date(THIS_YEAR, 11, 1), outcome="pending", score=None)
    practice(pending, uwsa, 230, date(THIS_YEAR, 10, 1))
    deleted = make_story(author, step="step2ck", exam_month=EXAM, score=290, status="deleted")
    practice(deleted, uwsa, 150, EXAM - timedelta(days=5))
    old = make_story(author, step="step2ck", exam_month=date(THIS_YEAR - 5, 6, 1), score=290)
    practice(old, uwsa, 150, date(THIS_YEAR - 5, 5, 1))
    other = make_resource("NBME 12", slug="nbme-12", kind="self-assessment", steps=("step2ck",), scale="three_digit")
    for _ in range(3):
        alone = make_story(author, step="step2ck", exam_month=EXAM, score=250)
        practice(alone, other, 240, EXAM - timedelta(days=10))
    return points


def expected_ck(points):
    """(mean absolute error, coverage) by refitting without each story, as the docstring says."""
    errors, inside = [], 0
    for i, (x, y) in enumerate(points):
        intercept, slope, sd, n, mean_x, sxx = least_squares(points[:i] + points[i + 1:])
        half = T_975_10 * sd * math.sqrt(1 + 1 / n + (x - mean_x) ** 2 / sxx)
        errors.append(abs(intercept + slope * x - y))
        inside += abs(intercept + slope * x - y) <= half
    return sum(errors) / len(errors), inside / len(points)


# Step 1 set (pass/fail, last NBME form in percent): the band of 72% holds 12 stories (9 passed), the band of 62%
# 11 (5 passed), the band of 52% 5 (too few even with the story itself), plus a pending story that does not count.
STEP1_BANDS = [(72, 12, 9), (62, 11, 5), (52, 5, 3)]


def make_step1_set():
    nbme = make_resource("NBME CBSSA 30", slug="nbme-cbssa-30", kind="self-assessment", steps=("step1",),
                         scale="percent")
    earlier = make_resource("NBME CBSSA 29", slug="nbme-cbssa-29", kind="self-assessment", steps=("step1",),
                            scale="percent")
    author = make_user(background="us_md")
    for percent, n, passed in STEP1_BANDS:
        for i in range(n):
            story = make_story(author, step="step1", exam_month=EXAM, score=None,
                               outcome="passed" if i < passed else "failed")
            practice(story, nbme, percent, EXAM - timedelta(days=7), scale="percent")
            # An earlier form in another band: the last one before the exam is the one that counts.
            practice(story, earlier, 40, EXAM - timedelta(days=40), scale="percent")
    pending = make_story(author, step="step1", exam_month=date(THIS_YEAR, 11, 1), score=None, outcome="pending")
    practice(pending, nbme, 72, date(THIS_YEAR, 10, 20), scale="percent")


def expected_step1():
    """Brier and accuracy by hand: a story that passed in a band of n with k passes was given (k - 1) / (n - 1);
    one that failed, k / (n - 1). The 72% band: passes get 8/11 (likelier: pass, right), failures 9/11 (wrong);
    the 62% band: passes get 4/10 (likelier: fail, wrong), failures 5/10 (even odds: half)."""
    squares = 9 * (1 - 8 / 11) ** 2 + 3 * (9 / 11) ** 2 + 5 * (1 - 4 / 10) ** 2 + 6 * (5 / 10) ** 2
    return squares / 23, (9 + 0 + 0 + 6 * 0.5) / 23


def test_leave_one_out_error_and_coverage_equal_the_explicit_refits(app):
    points = make_ck_set()
    mean_error, coverage = expected_ck(points)
    record = validation.measured("step2ck")
    assert record.n == 13
    assert record.mean_abs_error == pytest.approx(mean_error)
    assert record.coverage == pytest.approx(coverage) == 12 / 13  # the outlier alone falls outside
    assert 0 <= record.coverage <= 1
    assert record.brier is None and record.accuracy is None


def test_the_note_states_the_figures(app):
    mean_error, coverage = expected_ck(make_ck_set())
    assert validation.measured("step2ck").note == (
        f"13 stories predicted leaving each out; mean absolute error {mean_error:.1f} points; "
        f"{coverage:.0%} of real scores inside the 95% range")


def test_a_tight_line_covers_every_story(app):
    make_ck_set(12, residuals=[0, 1] * 6)
    record = validation.measured("step2ck")
    assert record.n == 12 and record.coverage == 1
    assert record.mean_abs_error == pytest.approx(expected_ck([(200 + 5 * i, 210 + 5 * i + i % 2)
                                                               for i in range(12)])[0])


def test_step1_brier_and_accuracy_equal_the_hand_counts(app):
    make_step1_set()
    brier, accuracy = expected_step1()
    record = validation.measured("step1")
    assert record.n == 23  # the 5 stories of the 52% band are not predicted
    assert record.brier == pytest.approx(brier)
    assert record.accuracy == pytest.approx(accuracy)
    assert record.mean_abs_error is None and record.coverage is None
    assert f"Brier score {brier:.2f}" in record.note and f"happened for {accuracy:.0%}" in record.note


@pytest.mark.parametrize("n", [0, 10])
def test_too_little_data_predicts_nothing(app, n):
    """Ten stories on a form: without one of them, nine are left, under the ten a line needs."""
    make_ck_set(n)
    assert validation.measured("step2ck") is None
    assert validation.measured("step3") is None


def test_a_band_of_ten_predicts_nothing_without_the_story_itself(app):
    nbme = make_resource("NBME CBSSA 30", slug="nbme-cbssa-30", kind="self-assessment", steps=("step1",),
                         scale="percent")
    for i in range(10):
        story = make_story(step="step1", exam_month=EXAM, score=None, outcome="passed" if i % 2 else "failed")
        practice(story, nbme, 66, EXAM - timedelta(days=7), scale="percent")
    assert validation.measured("step1") is None


def test_verified_measures_only_verified_stories(app):
    make_ck_set()
    assert validation.measured("step2ck", verified=True) is None


def test_the_record_is_kept_until_a_story_is_written(app):
    make_ck_set()
    first = validation.measured("step2ck")
    with QueryCounter() as counter:
        assert validation.measured("step2ck") == first
    assert len(counter.statements) == 1 and "cache_versions" in counter.statements[0]  # the versions only


def test_after_a_story_is_written_the_previous_record_is_given_and_a_job_computes_the_new(app):
    make_ck_set()
    first = validation.measured("step2ck")
    uwsa = db.session.scalar(sa.select(Resource).where(Resource.slug == "uwsa-2"))
    story = make_story(step="step2ck", exam_month=EXAM, score=275)
    practice(story, uwsa, 265, EXAM - timedelta(days=20))
    assert validation.measured("step2ck") == first  # at once, while the job (run here, outside a request) works
    assert validation.measured("step2ck").n == 14


def run(app, *args):
    return app.test_cli_runner().invoke(args=["insights", "validate", *args])


def test_the_command_prints_each_step_with_data(app):
    mean_error, coverage = expected_ck(make_ck_set())
    make_step1_set()
    brier, accuracy = expected_step1()
    result = run(app)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Step 1: 23 stories predicted leaving each out; Brier score {brier:.2f}; "
        f"the likelier outcome happened for {accuracy:.0%}",
        f"Step 2 CK: 13 stories predicted leaving each out; mean absolute error {mean_error:.1f} points; "
        f"{coverage:.0%} of real scores inside the 95% range",
    ]


def test_the_command_with_a_step_and_without_data_says_so(app):
    make_ck_set()
    result = run(app, "--step", "step3")
    assert result.exit_code == 0
    assert result.output.startswith("Step 3: no story could be predicted")
    assert run(app, "--step", "step2ck", "--verified").output.startswith("Step 2 CK: no story could be predicted")
    assert run(app, "--step", "step9").exit_code == 2


def test_the_command_without_any_data_says_so(app):
    result = run(app)
    assert result.exit_code == 0 and "No step has enough stories" in result.output


def test_the_command_has_help(app):
    result = app.test_cli_runner().invoke(args=["insights", "validate", "--help"])
    assert result.exit_code == 0 and "leave one out" in result.output
