"""The scale of a practice score, read as a specification: decided by the assessment and the day it was taken,
each switch tested on both sides of its boundary days, on the catalogue as shipped."""
import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

import forum
from forum import scales
from forum.scales import EITHER, PERCENT, THREE_DIGIT

CATALOGUE = json.loads((Path(forum.__file__).parent / "data" / "resources.json").read_text(encoding="utf-8"))
LAST_SURE_THREE_DIGIT_DAY = date(2022, 1, 31)  # NBME: the switch came "mid to late February 2022"
FIRST_OPEN_DAY, LAST_OPEN_DAY = date(2022, 2, 1), date(2022, 2, 28)
FIRST_SURE_PERCENT_DAY = date(2022, 3, 1)


def catalogue_resource(slug: str) -> SimpleNamespace:
    """A shipped catalogue entry shaped like forum.models.Resource, its "scales" as scale periods."""
    entry = next(e for e in CATALOGUE if e["slug"] == slug)
    periods = [SimpleNamespace(valid_from=date.fromisoformat(row["from"]) if row["from"] else None,
                               scale=row["scale"], source=row["source"]) for row in entry.get("scales", [])]
    return SimpleNamespace(name=entry["name"], scale=entry["scale"], scale_periods=periods)


def reported(slug: str, day: date | None) -> str:
    return scales.period_on(scales.periods_of(catalogue_resource(slug)), day).scale


# Step 1 NBME forms (CBSSA) switched from a 3-digit score to a percent correct in February 2022

@pytest.mark.parametrize("form", range(20, 31))
def test_a_cbssa_reported_a_three_digit_score_until_the_end_of_january_2022(form):
    assert reported(f"nbme-cbssa-{form}", date(2019, 3, 25)) == THREE_DIGIT
    assert reported(f"nbme-cbssa-{form}", LAST_SURE_THREE_DIGIT_DAY) == THREE_DIGIT


@pytest.mark.parametrize("form", range(20, 31))
def test_a_cbssa_taken_in_february_2022_may_be_either_and_its_value_decides(form):
    for day in (FIRST_OPEN_DAY, date(2022, 2, 15), LAST_OPEN_DAY):
        assert reported(f"nbme-cbssa-{form}", day) == EITHER
        assert scales.decide(EITHER, 68) == PERCENT
        assert scales.decide(EITHER, 231) == THREE_DIGIT


@pytest.mark.parametrize("form", range(20, 31))
def test_a_cbssa_reports_a_percent_correct_from_march_2022(form):
    assert reported(f"nbme-cbssa-{form}", FIRST_SURE_PERCENT_DAY) == PERCENT
    assert reported(f"nbme-cbssa-{form}", date(2025, 5, 3)) == PERCENT


def test_cbssa_form_31_came_out_after_the_switch_and_only_ever_reported_a_percent():
    for day in (date(2021, 6, 1), LAST_SURE_THREE_DIGIT_DAY, FIRST_SURE_PERCENT_DAY, date(2025, 5, 24)):
        assert reported("nbme-cbssa-31", day) == PERCENT


@pytest.mark.parametrize("slug", ["nbme-cbssa-25", "nbme-cbssa-30", "nbme-cbssa-31"])
def test_what_a_cbssa_reports_today_is_a_percent(slug):
    assert reported(slug, None) == PERCENT
    assert catalogue_resource(slug).scale == PERCENT


# The assessments that never switched

@pytest.mark.parametrize("slug", ["nbme-ccssa-6", "nbme-ccssa-10", "nbme-ccssa-15", "uwsa-1-step-1", "uwsa-2-step-1",
                                  "uwsa-1-step-2-ck", "uwsa-2-step-2-ck", "uwsa-3-step-2-ck",
                                  "amboss-self-assessment"])
def test_ccssa_uwsa_and_amboss_report_a_three_digit_score_before_and_after_the_step_1_switch(slug):
    for day in (date(2019, 9, 1), LAST_SURE_THREE_DIGIT_DAY, FIRST_OPEN_DAY, FIRST_SURE_PERCENT_DAY,
                date(2025, 6, 1)):
        assert reported(slug, day) == THREE_DIGIT


@pytest.mark.parametrize("slug", ["free-120-step-1", "free-120-step-2-ck", "usmle-step-3-practice"])
def test_the_official_sample_questions_are_a_percent_correct_at_any_date(slug):
    for day in (date(2017, 5, 20), LAST_SURE_THREE_DIGIT_DAY, FIRST_OPEN_DAY, FIRST_SURE_PERCENT_DAY):
        assert reported(slug, day) == PERCENT


def test_the_step_3_nbme_scale_is_unknown_so_either_is_accepted_and_its_source_says_unknown():
    resource = catalogue_resource("nbme-ccmsa")
    assert reported("nbme-ccmsa", date(2023, 4, 8)) == EITHER
    assert "UNKNOWN" in resource.scale_periods[0].source


def test_every_dated_scale_row_of_the_catalogue_has_a_source():
    rows = [row for entry in CATALOGUE for row in entry.get("scales", [])]
    assert rows
    assert all(row["source"].strip() for row in rows)


# The rules themselves, on made-up periods

def period_rows(*rows):
    return [SimpleNamespace(valid_from=start, scale=scale, source="test") for start, scale in rows]


def test_an_assessment_without_periods_reports_its_own_scale_all_the_time():
    resource = SimpleNamespace(scale=PERCENT, scale_periods=[])
    assert scales.periods_of(resource) == [scales.Period(start=None, end=None, scale=PERCENT)]
    assert scales.scale_for(resource, date(2010, 1, 1), 72) == PERCENT


def test_an_assessment_without_any_scale_counts_as_three_digit():
    resource = SimpleNamespace(scale=None, scale_periods=[])
    assert scales.scale_for(resource, date(2024, 1, 1), 231) == THREE_DIGIT


def test_a_period_starts_on_its_day_and_ends_the_day_before_the_next_one():
    resource = SimpleNamespace(scale=PERCENT, scale_periods=period_rows(
        (date(2022, 3, 1), PERCENT), (None, THREE_DIGIT)))  # in any order: the databases sort NULL differently
    all_periods = scales.periods_of(resource)
    assert scales.period_on(all_periods, date(2022, 2, 28)).scale == THREE_DIGIT
    assert scales.period_on(all_periods, date(2022, 3, 1)).scale == PERCENT
    assert scales.period_on(all_periods, None).scale == PERCENT


def test_before_the_first_dated_period_the_assessment_reports_its_own_scale():
    resource = SimpleNamespace(scale=THREE_DIGIT, scale_periods=period_rows((date(2024, 1, 1), PERCENT)))
    assert scales.scale_for(resource, date(2023, 12, 31), 231) == THREE_DIGIT
    assert scales.scale_for(resource, date(2024, 1, 1), 68) == PERCENT


def test_an_unknown_scale_in_the_catalogue_is_a_bug_not_a_value():
    with pytest.raises(ValueError, match="unknown practice scale"):
        scales.periods([(None, "ten_to_800", "")], THREE_DIGIT)


# Which scale a value only makes sense on (what the migration of old rows used)

@pytest.mark.parametrize(("value", "scale"), [(0, PERCENT), (68, PERCENT), (99.5, PERCENT), (100, PERCENT),
                                              (100.5, THREE_DIGIT), (101, THREE_DIGIT), (231, THREE_DIGIT),
                                              (300, THREE_DIGIT)])
def test_a_value_of_100_or_less_is_a_percent_and_above_it_a_three_digit_score(value, scale):
    assert scales.sensible_scale(value) == scale


def test_a_fixed_period_scale_does_not_bend_to_the_value():
    assert scales.decide(PERCENT, 231) == PERCENT
    assert scales.decide(THREE_DIGIT, 68) == THREE_DIGIT


# What the writer is told

def test_a_three_digit_value_on_a_cbssa_after_the_switch_is_refused_naming_the_scale_and_the_day():
    period = scales.period_on(scales.periods_of(catalogue_resource("nbme-cbssa-30")), date(2023, 7, 15))
    assert scales.mismatch("NBME CBSSA Form 30", period, 221) == (
        "NBME CBSSA Form 30 taken on or after 1 March 2022 reports a percent correct: enter it like 68.")
    assert scales.mismatch("NBME CBSSA Form 30", period, 68) is None


def test_a_percent_on_a_cbssa_before_the_switch_is_refused_naming_the_scale_and_the_day():
    period = scales.period_on(scales.periods_of(catalogue_resource("nbme-cbssa-30")), date(2021, 11, 6))
    assert scales.mismatch("NBME CBSSA Form 30", period, 68) == (
        "NBME CBSSA Form 30 taken before 1 February 2022 reports a 3-digit score: enter it like 231.")
    assert scales.mismatch("NBME CBSSA Form 30", period, 231) is None


def test_an_assessment_with_one_scale_is_named_without_a_day():
    period = scales.period_on(scales.periods_of(catalogue_resource("uwsa-2-step-1")), date(2024, 2, 24))
    assert scales.mismatch("UWSA 2 (Step 1)", period, 64) == (
        "UWSA 2 (Step 1) reports a 3-digit score: enter it like 231.")


def test_nothing_is_refused_where_the_scale_is_open():
    period = scales.period_on(scales.periods_of(catalogue_resource("nbme-cbssa-30")), date(2022, 2, 14))
    assert scales.mismatch("NBME CBSSA Form 30", period, 68) is None
    assert scales.mismatch("NBME CBSSA Form 30", period, 231) is None
    assert period.when() == " taken from 1 February 2022 to 28 February 2022"


@pytest.mark.parametrize(("scale", "value", "typed", "shown"), [
    (THREE_DIGIT, 231.0, "231", "231"), (PERCENT, 68.0, "68", "68%"), (PERCENT, 72.5, "72.5", "72.5%")])
def test_a_stored_score_is_written_on_its_scale(scale, value, typed, shown):
    assert scales.input_text(scale, value) == typed
    assert scales.display(scale, value) == shown


def test_the_scales_have_human_labels():
    assert scales.label(THREE_DIGIT) == "3-digit score"
    assert scales.label(PERCENT) == "percent correct"
