"""The rules a retake journey's linked attempts obey (exam.validate_journey), each boundary month on both sides.

Stories record months only, so a rule is broken only when no days inside the two months could keep it: 12 calendar
months between a first and a fourth attempt is accepted, 11 refused; 6 between a third and a fourth accepted, 5
refused.
"""
from datetime import date

import pytest

from forum import exam


def m(year: int, month: int) -> date:
    return date(year, month, 1)


def problems(*attempts: tuple[int, date], step: str = "step1") -> list[str]:
    return exam.validate_journey(list(attempts), step=step)


# A believable journey

def test_a_fail_then_a_pass_four_months_later_is_believable():
    assert problems((1, m(2015, 11)), (2, m(2016, 4))) == []


def test_attempts_may_be_given_in_any_order():
    assert problems((2, m(2016, 4)), (1, m(2015, 11))) == []


def test_a_single_attempt_breaks_no_rule():
    assert problems((1, m(2024, 1))) == []


def test_three_attempts_within_twelve_months_are_allowed():
    assert problems((1, m(2023, 1)), (2, m(2023, 4)), (3, m(2023, 8))) == []


# Consistency

def test_two_stories_of_the_same_attempt_are_refused_and_nothing_else_is_judged_until_fixed():
    found = problems((1, m(2023, 6)), (2, m(2023, 1)), (2, m(2023, 7)))
    assert found == ["2 of these stories are your second attempt: link one story per attempt."]


def test_a_later_attempt_dated_before_an_earlier_one_is_refused():
    found = problems((1, m(2023, 6)), (2, m(2023, 5)))
    assert len(found) == 1
    assert "second attempt (May 2023) is dated before your first attempt (June 2023)" in found[0]


def test_a_record_out_of_order_is_not_judged_for_spacing_until_fixed():
    found = problems((1, m(2023, 6)), (4, m(2023, 1)))
    assert len(found) == 1 and "is dated before" in found[0]


def test_two_attempts_in_the_same_month_are_accepted_in_number_order():
    """Days inside the month could order them; a months-only record cannot say they did not."""
    assert problems((1, m(2023, 6)), (2, m(2023, 6))) == []


def test_an_attempt_number_out_of_range_is_refused():
    assert problems((1, m(2010, 1)), (7, m(2012, 1)))


def test_a_month_inside_the_month_is_judged_as_its_month():
    assert problems((1, date(2023, 1, 31)), (2, date(2023, 1, 2))) == []


# At most 3 attempts within 12 months: the 4th at least 12 months after the 1st (the rule from 2012)

@pytest.mark.parametrize(("fourth", "allowed"), [
    (m(2024, 12), False),  # 11 months after the first: even 1 Jan to 31 Dec is under 12 months
    (m(2025, 1), True),  # 12 calendar months: 1 Jan 2024 to 31 Jan 2025 is more than 12 months
])
def test_a_fourth_attempt_comes_twelve_months_after_the_first(fourth, allowed):
    found = problems((1, m(2024, 1)), (2, m(2024, 3)), (3, m(2024, 6)), (4, fourth))
    assert (found == []) == allowed, found
    if not allowed:
        assert found == [
            "Your fourth attempt (December 2024) came 11 months after your first attempt (January 2024). USMLE "
            "allows at most 3 attempts at a step within 12 months, so attempt 4 must be at least 12 months after "
            "attempt 1."]


def test_a_fourth_attempt_eight_months_after_the_first_is_refused_with_only_those_two_linked():
    """Attempts 2 and 3 came between, unlinked or unwritten: four attempts within 8 months either way."""
    found = problems((1, m(2023, 1)), (4, m(2023, 9)))
    assert len(found) == 1 and "came 8 months after your first attempt" in found[0]


def test_the_window_slides_a_fifth_attempt_within_twelve_months_of_the_second_is_refused():
    found = problems((2, m(2015, 1)), (5, m(2015, 12)))
    assert len(found) == 1 and "attempt 5 must be at least 12 months after attempt 2" in found[0]


def test_attempts_three_apart_in_number_but_a_year_apart_in_time_are_fine():
    assert problems((2, m(2015, 1)), (5, m(2016, 1))) == []


# The 4th and later attempts at least 6 months after the latest (the rule from 2012)

@pytest.mark.parametrize(("fourth", "allowed"), [
    (m(2024, 2), False),  # 5 months after the third: 1 Sep to 29 Feb is under 6 months
    (m(2024, 3), True),  # 6 months: 1 Sep to 1 Mar is 6 months
])
def test_a_fourth_attempt_comes_six_months_after_the_third(fourth, allowed):
    found = problems((1, m(2022, 1)), (2, m(2022, 5)), (3, m(2023, 9)), (4, fourth))
    assert (found == []) == allowed, found
    if not allowed:
        assert len(found) == 1
        assert "came 5 months after your third attempt (September 2023)" in found[0]
        assert "at least 6 months after the one before" in found[0]


def test_the_six_month_gap_does_not_apply_to_a_second_or_third_attempt():
    assert problems((1, m(2023, 1)), (2, m(2023, 2)), (3, m(2023, 3))) == []


def test_the_six_month_gap_is_measured_from_the_latest_linked_attempt():
    """Attempt 3 unlinked: a fourth 4 months after the second is also under 6 months after the third."""
    found = problems((1, m(2022, 1)), (2, m(2023, 6)), (4, m(2023, 10)))
    assert len(found) == 1 and "after your second attempt" in found[0]


# The rule in force: before 2012 applications (exams judged by it until SPACING_RULE_EXAMS_FROM)

def test_before_2013_four_attempts_of_a_computer_based_step_could_fall_within_twelve_months():
    assert exam.SPACING_RULE_EXAMS_FROM == date(2013, 1, 1)
    assert problems((1, m(2010, 1)), (2, m(2010, 3)), (3, m(2010, 6)), (4, m(2010, 9))) == []
    assert problems((1, m(2012, 1)), (4, m(2012, 12)), step="step2ck") == []


def test_before_2013_a_fifth_attempt_within_twelve_months_of_the_first_is_refused():
    assert problems((1, m(2010, 1)), (5, m(2010, 12)))


def test_before_2013_cs_kept_three_attempts_within_twelve_months():
    assert problems((1, m(2010, 1)), (4, m(2010, 12)), step="step2cs")


def test_from_2013_the_2012_rule_judges_the_later_attempt():
    assert problems((1, m(2012, 2)), (4, m(2013, 1)))  # 11 months: refused under the 2012 rule
    assert problems((1, m(2012, 1)), (4, m(2012, 12))) == []  # judged by the older rule


def test_before_2013_there_was_no_six_month_gap():
    assert problems((1, m(2010, 1)), (2, m(2010, 2)), (3, m(2011, 1)), (4, m(2011, 2))) == []


# The attempt limit

@pytest.mark.parametrize(("fifth", "allowed"), [
    (exam.FIFTH_ATTEMPT_LAST_MONTH, True),  # applied for by 30 June 2021, taken within the generous bound
    (m(2023, 1), False),  # only 4 attempts for applications from July 2021
])
def test_a_fifth_attempt_is_possible_only_under_the_old_limit(fifth, allowed):
    found = problems((1, m(2019, 1)), (4, m(2021, 6)), (5, fifth))
    assert (found == []) == allowed, found
    if not allowed:
        assert found == ["USMLE has allowed at most 4 attempts per step since July 2021, so a fifth attempt in "
                         "January 2023 is not possible."]
