"""The eras a story shows beside its record (forum.exam.eras), at each boundary date."""
from datetime import date

import pytest

from forum import exam


def labels(step, month, kind=None):
    return [e.label for e in exam.eras(step, month) if kind is None or e.kind == kind]


def test_step1_before_2022_is_the_scored_era():
    assert labels("step1", date(2021, 12, 1), "scoring") == [
        "Scored era: Step 1 reported a 3-digit score and pass/fail"]


def test_step1_january_2022_holds_both_eras_and_both_standards():
    assert labels("step1", date(2022, 1, 1), "scoring") == [
        "January 2022: Step 1 was scored until 25 January 2022 and pass/fail from 26 January 2022"]
    standards = labels("step1", date(2022, 1, 1), "standard")
    assert [s.split(",")[0] for s in standards] == ["Passing standard then: 194", "Passing standard then: 196"]


def test_step1_from_february_2022_is_pass_fail_with_the_hidden_standard():
    assert labels("step1", date(2022, 2, 1), "scoring") == [
        "Pass/fail era: Step 1 has reported pass or fail only since 26 January 2022"]
    assert labels("step1", date(2022, 2, 1), "standard") == [
        "Passing standard then: 196, in force from 26 January 2022 (on the 3-digit scale; pass/fail reports do not "
        "show it)"]


@pytest.mark.parametrize(("month", "standard"), [(date(2022, 6, 1), 209), (date(2022, 7, 1), 214),
                                                 (date(2025, 6, 1), 214)])
def test_ck_standard_follows_the_table(month, standard):
    (era,) = exam.eras("step2ck", month)
    assert era.label.startswith(f"Passing standard then: {standard},") and era.caveat == ""


def test_ck_218_says_it_is_known_from_secondary_sources_only():
    (era,) = exam.eras("step2ck", date(2025, 7, 1))
    assert era.label == "Passing standard then: 218, in force from 1 July 2025"
    assert era.caveat == "known from secondary sources only; not yet confirmed on usmle.org"


@pytest.mark.parametrize(("step", "before", "during", "after", "day"), [
    ("step3", date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1), "10 March 2026"),
    ("step2ck", date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1), "7 May 2026"),
    ("step1", date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1), "14 May 2026"),
])
def test_2026_software_by_step(step, before, during, after, day):
    assert labels(step, before, "software") == [f"Previous exam software: the 30-minute-block software came on {day}"]
    assert labels(step, during, "software")[0].endswith(f"from {day}; earlier that month, the previous software")
    assert labels(step, after, "software") == [f"New exam software: 30-minute blocks, from {day}"]


def test_software_is_not_mentioned_before_2026():
    assert labels("step2ck", date(2025, 12, 1), "software") == []


def test_step2cs_says_when_it_ended():
    assert labels("step2cs", date(2019, 5, 1)) == [
        "Step 2 CS was pass/fail only, last administered on 16 March 2020 and discontinued on 26 January 2021"]
