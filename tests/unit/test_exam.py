"""USMLE rules, read as a specification: every boundary is tested on both sides."""
from datetime import date, timedelta

import pytest

from forum import exam

TODAY = date(2025, 8, 15)


def check_record(**overrides) -> dict[str, str]:
    """validate_exam_record on a believable Step 2 CK record, changed only where a test says so."""
    record = {"step": "step2ck", "exam_month": date(2025, 6, 1), "attempt": 1, "outcome": "passed", "score": 245,
              "prep_weeks": 8, "today": TODAY}
    return exam.validate_exam_record(**{**record, **overrides})


def check_practice(**overrides) -> dict[str, str]:
    """validate_practice_score on a believable 3-digit practice score a month before a June 2025 exam."""
    practice = {"scale": "three_digit", "score": 231.0, "taken_on": date(2025, 5, 14), "exam_month": date(2025, 6, 1),
                "today": TODAY}
    return exam.validate_practice_score(**{**practice, **overrides})


# Steps

def test_step_codes_name_every_step_in_order():
    assert tuple(exam.STEPS) == exam.STEP_CODES == ("step1", "step2ck", "step2cs", "step3")


@pytest.mark.parametrize(("slug", "code", "label", "short"), [
    ("step-1", "step1", "Step 1", "S1"),
    ("step-2-ck", "step2ck", "Step 2 CK", "CK"),
    ("step-2-cs", "step2cs", "Step 2 CS", "CS"),
    ("step-3", "step3", "Step 3", "S3"),
])
def test_step_for_slug_finds_the_step(slug, code, label, short):
    step = exam.step_for_slug(slug)
    assert (step.code, step.label, step.slug, step.short) == (code, label, slug, short)


@pytest.mark.parametrize("slug", ["step1", "step-4", "", "STEP-1"])
def test_step_for_unknown_slug_is_none(slug):
    assert exam.step_for_slug(slug) is None


def test_only_step2cs_has_a_last_exam_month_and_it_is_march_2020():
    assert {code: step.last_exam_month for code, step in exam.STEPS.items()} == {
        "step1": None, "step2ck": None, "step2cs": date(2020, 3, 1), "step3": None}


@pytest.mark.parametrize("step", exam.STEPS.values())
def test_exam_months_are_first_days_of_months(step):
    assert step.first_exam_month.day == 1
    assert step.last_exam_month is None or step.last_exam_month.day == 1


def test_step_is_frozen():
    with pytest.raises(AttributeError):
        exam.STEPS["step1"].label = "Step One"


# Labels

@pytest.mark.parametrize(("day", "label"), [
    (date(2025, 1, 1), "January 2025"), (date(2025, 6, 30), "June 2025"), (date(2019, 12, 1), "December 2019")])
def test_month_label_names_month_and_year(day, label):
    assert exam.month_label(day) == label


@pytest.mark.parametrize(("n", "text"), [
    (1, "first attempt"), (2, "second attempt"), (3, "third attempt"), (4, "fourth attempt"), (5, "fifth attempt"),
    (6, "sixth attempt")])
def test_ordinal_attempt_spells_the_attempt(n, text):
    assert exam.ordinal_attempt(n) == text


@pytest.mark.parametrize(("n", "text"), [(0, "attempt 0"), (7, "attempt 7")])
def test_ordinal_attempt_outside_first_to_sixth_is_numbered(n, text):
    assert exam.ordinal_attempt(n) == text


# Which exams reported a score

def test_step1_reported_a_score_up_to_25_january_2022():
    assert exam.reports_numeric_score("step1", date(2022, 1, 25))


def test_step1_reported_no_score_from_26_january_2022():
    assert not exam.reports_numeric_score("step1", date(2022, 1, 26))


@pytest.mark.parametrize("day", [date(2004, 6, 1), date(2020, 3, 1)])
def test_step2cs_never_reported_a_score(day):
    assert not exam.reports_numeric_score("step2cs", day)


@pytest.mark.parametrize("step", ["step2ck", "step3"])
@pytest.mark.parametrize("day", [date(2010, 1, 1), date(2022, 2, 1), date(2025, 7, 1)])
def test_step2ck_and_step3_always_report_a_score(step, day):
    assert exam.reports_numeric_score(step, day)


def test_unknown_step_reports_no_score():
    assert not exam.reports_numeric_score("step4", date(2020, 1, 1))


@pytest.mark.parametrize("month", [date(2021, 12, 1), date(2022, 1, 1)])
def test_step1_score_allowed_through_january_2022(month):
    assert exam.score_allowed("step1", month)


def test_step1_score_allowed_for_any_day_of_january_2022():
    assert exam.score_allowed("step1", date(2022, 1, 28))


@pytest.mark.parametrize("month", [date(2022, 2, 1), date(2024, 5, 1)])
def test_step1_score_refused_from_february_2022(month):
    assert not exam.score_allowed("step1", month)


def test_step2cs_score_never_allowed():
    assert not exam.score_allowed("step2cs", date(2015, 3, 1))


# Passing standards

def test_passing_standards_table_is_in_date_order_for_each_step():
    for code in exam.STEP_CODES:
        dates = [effective for step, effective, _ in exam.PASSING_STANDARDS if step == code]
        assert dates == sorted(dates)


@pytest.mark.parametrize(("step", "month", "standard"), [
    ("step1", date(2013, 12, 1), None),  # before the table
    ("step1", date(2014, 1, 1), 192),
    ("step1", date(2017, 12, 1), 192),
    ("step1", date(2018, 1, 1), 194),
    ("step1", date(2022, 1, 1), 194),  # the 196 standard came with pass/fail on 26 January
    ("step1", date(2022, 2, 1), None),  # pass/fail: no score to compare
    ("step2ck", date(2012, 6, 1), None),
    ("step2ck", date(2012, 7, 1), 196),
    ("step2ck", date(2013, 6, 1), 196),
    ("step2ck", date(2013, 7, 1), 203),
    ("step2ck", date(2014, 6, 1), 203),
    ("step2ck", date(2014, 7, 1), 209),
    ("step2ck", date(2022, 6, 1), 209),
    ("step2ck", date(2022, 7, 1), 214),
    ("step2ck", date(2025, 6, 1), 214),
    ("step2ck", date(2025, 7, 1), 218),
    ("step2cs", date(2015, 1, 1), None),
    ("step3", date(2015, 12, 1), None),
    ("step3", date(2016, 1, 1), 196),
    ("step3", date(2019, 12, 1), 196),
    ("step3", date(2020, 1, 1), 198),
    ("step3", date(2023, 12, 1), 198),
    ("step3", date(2024, 1, 1), 200),
])
def test_passing_score_is_the_standard_in_force_on_the_first_of_the_exam_month(step, month, standard):
    assert exam.passing_score(step, month) == standard


def test_step1_passing_score_on_25_january_2022_is_194():
    assert exam.passing_score("step1", date(2022, 1, 25)) == 194


def test_step1_passing_standard_after_pass_fail_is_196_though_no_score_is_reported():
    assert exam.passing_standard("step1", date(2022, 2, 1)) == 196


# Exam record: step and month

def test_believable_record_has_no_problems():
    assert check_record() == {}


def test_unknown_step_refused():
    assert set(check_record(step="step4")) == {"step"}


def test_exam_month_required():
    assert check_record(exam_month=None)["exam_month"] == "Enter the month you took the exam."


@pytest.mark.parametrize("today", [date(2025, 8, 1), date(2025, 8, 31)])
def test_current_month_accepted(today):
    assert check_record(exam_month=date(2025, 8, 1), today=today) == {}


def test_next_month_refused_as_future():
    assert "still to come" in check_record(exam_month=date(2025, 9, 1))["exam_month"]


def test_next_month_refused_on_last_day_of_this_month():
    assert "exam_month" in check_record(exam_month=date(2025, 9, 1), today=date(2025, 8, 31))


def test_exam_month_given_as_any_day_is_judged_by_its_month():
    assert check_record(exam_month=date(2025, 8, 20)) == {}


@pytest.mark.parametrize("step", exam.STEP_CODES)
def test_first_exam_month_of_each_step_accepted(step):
    assert "exam_month" not in check_record(step=step, exam_month=exam.STEPS[step].first_exam_month, score=None)


@pytest.mark.parametrize("step", exam.STEP_CODES)
def test_month_before_first_exam_refused(step):
    month = exam.STEPS[step].first_exam_month - timedelta(days=1)
    assert "first given" in check_record(step=step, exam_month=month, score=None)["exam_month"]


def test_step2cs_in_march_2020_accepted():
    """USMLE transcripts: CS "was last administered on March 16, 2020"."""
    assert check_record(step="step2cs", exam_month=date(2020, 3, 1), score=None) == {}


@pytest.mark.parametrize("month", [date(2020, 4, 1), date(2020, 5, 1), date(2021, 2, 1), date(2024, 3, 1)])
def test_step2cs_from_april_2020_refused(month):
    message = check_record(step="step2cs", exam_month=month, score=None)["exam_month"]
    assert message == "Step 2 CS was last administered on 16 March 2020 and was discontinued on 26 January 2021, " \
                      "so it has no later exam."


# Exam record: attempt, outcome, preparation

@pytest.mark.parametrize("attempt", [0, -1, 7, 10])
def test_attempt_outside_first_to_sixth_refused(attempt):
    assert check_record(attempt=attempt)["attempt"] == "Choose an attempt from first to sixth."


@pytest.mark.parametrize("attempt", [1, 4, 6])
def test_attempt_from_first_to_sixth_accepted_for_an_older_exam(attempt):
    assert check_record(attempt=attempt, exam_month=date(2020, 6, 1), score=230) == {}


@pytest.mark.parametrize("attempt", [None, "2", True])
def test_attempt_missing_or_not_a_number_refused(attempt):
    assert "attempt" in check_record(attempt=attempt)


def test_fourth_attempt_accepted_under_the_four_attempt_limit():
    assert check_record(attempt=4) == {}


@pytest.mark.parametrize("attempt", [5, 6])
def test_fifth_or_sixth_attempt_accepted_up_to_december_2022(attempt):
    assert check_record(attempt=attempt, exam_month=date(2022, 12, 1)) == {}


@pytest.mark.parametrize("attempt", [5, 6])
def test_fifth_or_sixth_attempt_refused_from_january_2023(attempt):
    assert "at most 4 attempts" in check_record(attempt=attempt, exam_month=date(2023, 1, 1))["attempt"]


@pytest.mark.parametrize("outcome", [None, "", "passing", "Passed"])
def test_outcome_must_be_passed_failed_or_pending(outcome):
    assert "outcome" in check_record(outcome=outcome, score=None)


@pytest.mark.parametrize("month", [date(2025, 8, 1), date(2025, 2, 1)])  # this month; six months ago
def test_pending_accepted_within_six_months(month):
    assert check_record(outcome="pending", exam_month=month, score=None) == {}


def test_pending_accepted_six_months_back_across_a_new_year():
    assert check_record(outcome="pending", exam_month=date(2024, 11, 1), today=date(2025, 5, 15), score=None) == {}


def test_pending_refused_seven_months_back_across_a_new_year():
    problems = check_record(outcome="pending", exam_month=date(2024, 10, 1), today=date(2025, 5, 15), score=None)
    assert set(problems) == {"outcome"}


def test_pending_refused_after_six_months():
    problems = check_record(outcome="pending", exam_month=date(2025, 1, 1), score=None)
    assert problems == {"outcome": "Results arrive within a few weeks; choose passed or failed."}


@pytest.mark.parametrize("weeks", [None, 0, 104])
def test_prep_weeks_from_0_to_104_or_not_given_accepted(weeks):
    assert check_record(prep_weeks=weeks) == {}


@pytest.mark.parametrize("weeks", [-1, 105, 8.5])
def test_prep_weeks_outside_0_to_104_refused(weeks):
    assert "prep_weeks" in check_record(prep_weeks=weeks)


# Exam record: score

def test_score_optional():
    assert check_record(score=None) == {}


@pytest.mark.parametrize(("score", "outcome"), [(1, "failed"), (300, "passed")])
def test_score_from_1_to_300_accepted(score, outcome):
    assert check_record(score=score, outcome=outcome) == {}


@pytest.mark.parametrize("score", [0, 301, -5])
def test_score_outside_1_to_300_refused(score):
    assert check_record(score=score)["score"] == "USMLE scores run from 1 to 300."


@pytest.mark.parametrize("score", [245.5, "245"])
def test_score_must_be_a_whole_number(score):
    assert "whole number" in check_record(score=score)["score"]


def test_step1_score_accepted_in_january_2022():
    assert check_record(step="step1", exam_month=date(2022, 1, 1), score=230) == {}


def test_step1_without_score_accepted_in_january_2022():
    assert check_record(step="step1", exam_month=date(2022, 1, 1), score=None) == {}


def test_step1_score_refused_in_february_2022():
    problems = check_record(step="step1", exam_month=date(2022, 2, 1), score=230)
    assert problems == {"score": "Step 1 has been pass/fail since 26 January 2022, so it has no score."}


def test_step1_failed_without_score_accepted_after_pass_fail():
    assert check_record(step="step1", exam_month=date(2024, 3, 1), outcome="failed", score=None) == {}


def test_step2cs_score_refused():
    problems = check_record(step="step2cs", exam_month=date(2019, 3, 1), score=230)
    assert problems == {"score": "Step 2 CS was reported as pass or fail only, so it has no score."}


def test_score_refused_while_awaiting_result():
    assert "arrive with the result" in check_record(outcome="pending", score=245)["score"]


@pytest.mark.parametrize(("step", "month", "score", "outcome"), [
    ("step2ck", date(2022, 6, 1), 209, "passed"),  # 209 standard until June 2022
    ("step2ck", date(2022, 6, 1), 208, "failed"),
    ("step2ck", date(2022, 7, 1), 214, "passed"),  # 214 from July 2022
    ("step2ck", date(2022, 7, 1), 213, "failed"),
    ("step2ck", date(2025, 6, 1), 214, "passed"),
    ("step2ck", date(2025, 7, 1), 218, "passed"),  # 218 from July 2025
    ("step2ck", date(2025, 7, 1), 217, "failed"),
    ("step3", date(2023, 12, 1), 198, "passed"),  # 198 until December 2023
    ("step3", date(2024, 1, 1), 200, "passed"),  # 200 from January 2024
    ("step3", date(2024, 1, 1), 199, "failed"),
    ("step1", date(2022, 1, 1), 194, "passed"),  # the last scored Step 1 month is judged against 194
    ("step1", date(2017, 12, 1), 192, "passed"),
    ("step1", date(2018, 1, 1), 193, "failed"),
])
def test_score_consistent_with_outcome_and_standard_accepted(step, month, score, outcome):
    assert check_record(step=step, exam_month=month, score=score, outcome=outcome) == {}


@pytest.mark.parametrize(("step", "month", "score", "outcome"), [
    ("step2ck", date(2022, 6, 1), 208, "passed"),
    ("step2ck", date(2022, 6, 1), 209, "failed"),
    ("step2ck", date(2022, 7, 1), 213, "passed"),
    ("step2ck", date(2022, 7, 1), 214, "failed"),
    ("step2ck", date(2025, 7, 1), 217, "passed"),
    ("step3", date(2023, 12, 1), 197, "passed"),
    ("step3", date(2023, 12, 1), 198, "failed"),
    ("step3", date(2024, 1, 1), 199, "passed"),
    ("step3", date(2024, 1, 1), 200, "failed"),
    ("step1", date(2022, 1, 1), 193, "passed"),
    ("step1", date(2018, 1, 1), 193, "passed"),
])
def test_score_on_the_wrong_side_of_the_standard_refused(step, month, score, outcome):
    assert "passing standard" in check_record(step=step, exam_month=month, score=score, outcome=outcome)["score"]


def test_passed_below_standard_message_names_the_standard():
    problems = check_record(exam_month=date(2022, 7, 1), score=213)
    assert problems == {
        "score": "The Step 2 CK passing standard in July 2022 was 214, so a passing score is 214 or more."}


def test_score_without_a_known_standard_not_checked_against_outcome():
    assert check_record(exam_month=date(2010, 3, 1), score=185, outcome="passed") == {}


def test_every_broken_rule_reported_on_its_own_field():
    problems = check_record(exam_month=date(2026, 1, 1), attempt=9, outcome="maybe", score=400, prep_weeks=200)
    assert set(problems) == {"exam_month", "attempt", "outcome", "score", "prep_weeks"}


# The record line

def test_record_line_with_score_shows_standard_and_margin():
    line = exam.describe_record(step="step2ck", exam_month=date(2025, 6, 1), attempt=1, outcome="passed", score=245)
    assert line == "Step 2 CK · June 2025 · first attempt · passed · 245, passing standard then 214, +31"


def test_record_line_without_score():
    line = exam.describe_record(step="step1", exam_month=date(2023, 3, 1), attempt=1, outcome="passed", score=None)
    assert line == "Step 1 · March 2023 · first attempt · passed"


def test_record_line_of_failed_score_shows_negative_margin():
    line = exam.describe_record(step="step2ck", exam_month=date(2025, 6, 1), attempt=2, outcome="failed", score=208)
    assert line == "Step 2 CK · June 2025 · second attempt · failed · 208, passing standard then 214, -6"


def test_record_line_of_pending_says_awaiting_result():
    line = exam.describe_record(step="step3", exam_month=date(2025, 8, 1), attempt=1, outcome="pending", score=None)
    assert line == "Step 3 · August 2025 · first attempt · awaiting result"


def test_record_line_of_score_without_known_standard_shows_score_alone():
    line = exam.describe_record(step="step2ck", exam_month=date(2010, 3, 1), attempt=6, outcome="passed", score=230)
    assert line == "Step 2 CK · March 2010 · sixth attempt · passed · 230"


# Practice assessments

def test_believable_practice_score_has_no_problems():
    assert check_practice() == {}


@pytest.mark.parametrize(("scale", "score"), [
    ("three_digit", 1.0), ("three_digit", 300.0), ("three_digit", 231), ("percent", 0.0), ("percent", 100.0),
    ("percent", 72.5), ("percent", 72.3), ("percent", 64)])
def test_practice_score_inside_its_scale_accepted(scale, score):
    assert check_practice(scale=scale, score=score) == {}


@pytest.mark.parametrize(("scale", "score"), [
    ("three_digit", 0.0), ("three_digit", 301.0), ("percent", -0.5), ("percent", 100.5)])
def test_practice_score_outside_its_scale_refused(scale, score):
    assert "runs from" in check_practice(scale=scale, score=score)["score"]


def test_three_digit_practice_score_must_be_whole():
    assert "whole number" in check_practice(score=231.5)["score"]


@pytest.mark.parametrize("score", [72.25, 72.05])
def test_percent_practice_score_allows_one_decimal_place_only(score):
    assert "one decimal place" in check_practice(scale="percent", score=score)["score"]


@pytest.mark.parametrize(("scale", "score", "message"), [
    ("three_digit", 301.0, "A 3-digit score runs from 1 to 300."),
    ("percent", 100.5, "A percent score runs from 0 to 100."),
])
def test_practice_score_outside_its_scale_is_told_the_scale(scale, score, message):
    assert check_practice(scale=scale, score=score) == {"score": message}


def test_practice_score_required():
    assert check_practice(score=None) == {"score": "Enter the score."}


def test_unknown_practice_scale_is_a_bug():
    with pytest.raises(ValueError, match="unknown practice scale"):
        check_practice(scale="stanine")


def test_practice_date_required():
    assert check_practice(taken_on=None) == {"taken_on": "Enter the day you took it."}


def test_practice_date_today_accepted():
    assert check_practice(taken_on=TODAY, exam_month=date(2025, 8, 1)) == {}


def test_practice_date_tomorrow_refused():
    assert "still to come" in check_practice(taken_on=TODAY + timedelta(days=1), exam_month=None)["taken_on"]


def test_practice_date_up_to_end_of_month_after_exam_accepted():
    assert check_practice(taken_on=date(2025, 7, 31)) == {}


def test_practice_date_later_than_month_after_exam_refused():
    problems = check_practice(taken_on=date(2025, 8, 1))
    assert problems == {
        "taken_on": "Practice assessments come before the exam; enter a day no later than 31 July 2025."}


def test_practice_date_after_a_december_exam_accepted_through_january():
    assert check_practice(taken_on=date(2025, 1, 31), exam_month=date(2024, 12, 1)) == {}


def test_practice_date_after_a_december_exam_refused_from_february():
    assert "taken_on" in check_practice(taken_on=date(2025, 2, 1), exam_month=date(2024, 12, 1))


def test_practice_date_three_years_before_exam_month_accepted():
    assert check_practice(taken_on=date(2022, 6, 1)) == {}


def test_practice_date_more_than_three_years_before_exam_refused():
    problems = check_practice(taken_on=date(2022, 5, 31))
    assert problems == {"taken_on": "That is more than 3 years before the exam; enter a day from 1 June 2022 on."}


def test_practice_date_without_exam_month_only_checked_against_today():
    assert check_practice(taken_on=date(2001, 1, 1), exam_month=None) == {}


# Every message

@pytest.mark.parametrize(("field", "check", "overrides"), [
    ("step", check_record, dict(step="step4")),
    ("exam_month", check_record, dict(exam_month=None)),
    ("exam_month", check_record, dict(exam_month=date(2025, 9, 1))),
    ("exam_month", check_record, dict(step="step3", exam_month=date(1993, 12, 1), score=None)),
    ("exam_month", check_record, dict(step="step2cs", exam_month=date(2020, 6, 1), score=None)),
    ("attempt", check_record, dict(attempt=None)),
    ("attempt", check_record, dict(attempt=7)),
    ("attempt", check_record, dict(attempt=5)),
    ("outcome", check_record, dict(outcome="maybe", score=None)),
    ("outcome", check_record, dict(outcome="pending", exam_month=date(2025, 1, 1), score=None)),
    ("prep_weeks", check_record, dict(prep_weeks=105)),
    ("score", check_record, dict(score=245.5)),
    ("score", check_record, dict(score=301)),
    ("score", check_record, dict(step="step2cs", exam_month=date(2019, 3, 1))),
    ("score", check_record, dict(step="step1", exam_month=date(2022, 2, 1))),
    ("score", check_record, dict(outcome="pending")),
    ("score", check_record, dict(score=213)),
    ("score", check_record, dict(outcome="failed", score=214)),
    ("score", check_practice, dict(score=None)),
    ("score", check_practice, dict(score=0.0)),
    ("score", check_practice, dict(score=231.5)),
    ("score", check_practice, dict(scale="percent", score=72.25)),
    ("taken_on", check_practice, dict(taken_on=None)),
    ("taken_on", check_practice, dict(taken_on=TODAY + timedelta(days=1), exam_month=None)),
    ("taken_on", check_practice, dict(taken_on=date(2025, 8, 1))),
    ("taken_on", check_practice, dict(taken_on=date(2022, 5, 31))),
])
def test_every_problem_is_told_in_a_sentence(field, check, overrides):
    message = check(**overrides)[field]
    assert isinstance(message, str) and message[0].isupper() and message.endswith("."), message
