"""USMLE rules: the steps, when each reported a score, the passing standards, and what a believable record is.

Pure functions over dates and numbers, so the story form, the story page, the API and the tests all ask one place.
Stories record the exam *month*, passed as the first day of that month. Facts were checked against usmle.org
announcements (directly or as quoted by others) in 2025; each table row says where its number comes from.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from .dates import day_label, month_label

STEP1_PASS_FAIL_FROM = date(2022, 1, 26)  # usmle.org: Step 1 exams on/after this date report pass/fail only
# USMLE transcripts: Step 2 CS "was last administered on March 16, 2020" (covid.usmle.org; the suspension announced on
# 26 May 2020 extended one already in force). So March 2020 is the last exam month a CS story can have.
STEP2CS_LAST_ADMINISTERED = date(2020, 3, 16)
STEP2CS_DISCONTINUED = date(2021, 1, 26)  # usmle.org announcement of 26 January 2021


@dataclass(frozen=True)
class Step:
    code: str
    label: str
    slug: str
    short: str
    first_exam_month: date  # earliest month an exam of this step could have been taken
    last_exam_month: date | None = None  # None while the step is still given


STEP_CODES = ("step1", "step2ck", "step2cs", "step3")
STEPS: dict[str, Step] = {step.code: step for step in (
    # USMLE replaced the NBME Parts and FLEX in 1992-94 (J Med Regul 2005;91(1):21); months before 2004 are
    # best-known, kept early so that no real story is refused.
    Step("step1", "Step 1", "step-1", "S1", date(1992, 6, 1)),  # first Step 1: June 1992
    Step("step2ck", "Step 2 CK", "step-2-ck", "CK", date(1993, 1, 1)),  # "Step 2" from 1993; named CK in June 2004
    # June 2004: CS added to Step 2 (Ohio State Step 2 CS FAQ). Last month: see STEP2CS_LAST_ADMINISTERED.
    Step("step2cs", "Step 2 CS", "step-2-cs", "CS", date(2004, 6, 1),
         last_exam_month=STEP2CS_LAST_ADMINISTERED.replace(day=1)),
    Step("step3", "Step 3", "step-3", "S3", date(1994, 1, 1)),  # first Step 3 in 1994; month not confirmed
)}
_STEPS_BY_SLUG = {step.slug: step for step in STEPS.values()}

OUTCOMES = {"passed": "Passed", "failed": "Failed", "pending": "Awaiting result"}
# USMLE has allowed 4 attempts per step for applications from 1 July 2021 (usmle.org attempt-limit FAQ), 6 before
# (from 2012). Older stories can be fifth or sixth attempts, so we accept 1-6; see FIFTH_ATTEMPT_LAST_MONTH.
MIN_ATTEMPT, MAX_ATTEMPT = 1, 6
FOUR_ATTEMPT_LIMIT = 4  # the current limit per step
# Fifth and sixth attempts needed an application by 30 June 2021; a 3-month eligibility period and its one extension
# end well before this generous bound.
FIFTH_ATTEMPT_LAST_MONTH = date(2022, 12, 1)
MIN_SCORE, MAX_SCORE = 1, 300  # the 3-digit scale
MIN_PREP_WEEKS, MAX_PREP_WEEKS = 0, 104  # two years; longer is a gap, not preparation
PENDING_MAX_MONTHS = 6  # results take 3-4 weeks; six months leaves room for delays, then we ask for the result

_SCORED_STEPS = ("step1", "step2ck", "step3")  # CS was always pass/fail only

# The minimum passing 3-digit score in force from a date, per step. Every change took effect on the 1st of a month
# except Step 1's last, which came with pass/fail; so the standard on an exam month's first day is exact.
# Earlier standards (Step 1 188, Step 2 CK 189, Step 3 190) are left out: their start dates are unconfirmed.
PASSING_STANDARDS: list[tuple[str, date, int]] = [
    ("step1", date(2014, 1, 1), 192),  # 188 -> 192 (usmle.org Dec 2013, as quoted by Blueprint Prep 2018)
    ("step1", date(2018, 1, 1), 194),  # usmle.org 1 Dec 2017 (quoted by Wolters Kluwer 7 Dec 2017, TrueLearn)
    ("step1", date(2022, 1, 26), 196),  # usmle.org "Addressing differences in Step 1 2022": raised with pass/fail
    ("step2ck", date(2012, 7, 1), 196),  # 189 -> 196 decided June 2012 (usmle.org, 17 May 2013); the 1 July date is
    #                                      inferred from the CK pattern, not confirmed
    ("step2ck", date(2013, 7, 1), 203),  # usmle.org, June 2013 Step 2 Committee (quoted by Medicalopedia)
    ("step2ck", date(2014, 7, 1), 209),  # usmle.org announcement, 2 June 2014
    ("step2ck", date(2022, 7, 1), 214),  # usmle.org announcement, 11 April 2022
    ("step2ck", date(2025, 7, 1), 218),  # USMLE 2025, seen only in secondary sources (several agree); not on usmle.org
    #                                      (see SECONDARY_SOURCE_ONLY: the page says so wherever it shows it)
    ("step3", date(2016, 1, 1), 196),  # 190 -> 196, usmle.org 11 Dec 2015
    ("step3", date(2020, 1, 1), 198),  # 196 -> 198, Dec 2019 meeting; usmle.org review notice gave 1 Jan 2020
    ("step3", date(2024, 1, 1), 200),  # 198 -> 200, Dec 2023 meeting (usmle.org, quoted by Gold USMLE Review)
]

# Standards whose only sources are secondary (no usmle.org page found in November 2026): shown with that caveat
# until someone confirms them on usmle.org. (step, effective from)
SECONDARY_SOURCE_ONLY = {("step2ck", date(2025, 7, 1))}

# The test delivery software with 30-minute blocks (usmle.org, "Test delivery software updates", 10 March 2026,
# updated 27 April 2026): same content, item counts and day length; only the block length and the interface change.
NEW_SOFTWARE_FROM = {"step3": date(2026, 3, 10), "step2ck": date(2026, 5, 7), "step1": date(2026, 5, 14)}

PRACTICE_SCALES = {"three_digit": (1, 300), "percent": (0, 100)}
PRACTICE_GRACE_MONTHS = 1  # a practice date may fall this many months past the exam month: people misremember
PRACTICE_WINDOW_YEARS = 3  # longer than any preparation; an older practice score says nothing about the exam

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")


def step_for_slug(slug: str) -> Step | None:
    """The step a hub URL names, or None so the view can 404."""
    return _STEPS_BY_SLUG.get(slug)


def ordinal_attempt(n: int) -> str:
    """'first attempt' ... 'sixth attempt', as the record line and the form read."""
    return f"{_ORDINALS[n - 1]} attempt" if MIN_ATTEMPT <= n <= len(_ORDINALS) else f"attempt {n}"


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, months: int) -> date:
    """The first day of the month `months` after d's month."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def reports_numeric_score(step: str, exam_month: date) -> bool:
    """Whether an exam on this date got a 3-digit score: CS never did, Step 1 stopped on 26 January 2022."""
    if step == "step1":
        return exam_month < STEP1_PASS_FAIL_FROM
    return step in _SCORED_STEPS


def score_allowed(step: str, exam_month: date) -> bool:
    """Whether a story may carry a score for this exam month.

    Judged on the month's first day, so Step 1 in January 2022 may carry one (exams 1-25 January were scored)
    without needing one: the score is optional everywhere.
    """
    return reports_numeric_score(step, _month_start(exam_month))


def passing_standard(step: str, exam_date: date) -> int | None:
    """The minimum passing 3-digit score in force on the date, whether or not the report showed a score.

    Unlike passing_score this gives Step 1's 196 after the pass/fail switch, e.g. as a line to draw practice
    scores against. None for CS and for dates before the table.
    """
    standard = None
    for row_step, effective_from, score in PASSING_STANDARDS:
        if row_step == step and effective_from <= exam_date:
            standard = score  # rows are in date order, so the last match is the one in force
    return standard


def passing_score(step: str, exam_date: date) -> int | None:
    """The standard a reported score was judged against; None where the report carried no score.

    Pass the exam month's first day: every change took effect on a month's first day, so that is exact.
    """
    return passing_standard(step, exam_date) if reports_numeric_score(step, exam_date) else None


def validate_exam_record(*, step: str, exam_month: date | None, attempt: int | None, outcome: str | None,
                         score: int | None, prep_weeks: int | None, today: date) -> dict[str, str]:
    """{field: message} for every rule the record breaks; empty when it is believable.

    One message per field, the most basic first, written for the candidate. Rules that need the step or the month
    are skipped when those are missing, so each problem is reported once, on its own field.
    """
    problems: dict[str, str] = {}
    info = STEPS.get(step)
    month = _month_start(exam_month) if exam_month else None
    if info is None:
        problems["step"] = "Choose Step 1, Step 2 CK, Step 2 CS or Step 3."
    if month is None:
        problems["exam_month"] = "Enter the month you took the exam."
    elif month > _month_start(today):
        problems["exam_month"] = "That month is still to come; enter the month you took the exam."
    elif info and month < info.first_exam_month:
        problems["exam_month"] = (f"{info.label} was first given in {month_label(info.first_exam_month)}, "
                                  "so the exam month cannot be earlier.")
    elif info and info.last_exam_month and month > info.last_exam_month:
        problems["exam_month"] = (f"{info.label} was last administered on {day_label(STEP2CS_LAST_ADMINISTERED)} "
                                  f"and was discontinued on {day_label(STEP2CS_DISCONTINUED)}, so it has no later "
                                  "exam.")

    if attempt is None:
        problems["attempt"] = "Choose which attempt this was."
    elif isinstance(attempt, bool) or not isinstance(attempt, int) or not MIN_ATTEMPT <= attempt <= MAX_ATTEMPT:
        problems["attempt"] = f"Choose an attempt from {_ORDINALS[MIN_ATTEMPT - 1]} to {_ORDINALS[MAX_ATTEMPT - 1]}."
    elif attempt > FOUR_ATTEMPT_LIMIT and month and month > FIFTH_ATTEMPT_LAST_MONTH:
        problems["attempt"] = (f"USMLE has allowed at most {FOUR_ATTEMPT_LIMIT} attempts per step since July 2021, "
                               f"so a {ordinal_attempt(attempt)} must be from {month_label(FIFTH_ATTEMPT_LAST_MONTH)} "
                               "or earlier.")

    if outcome not in OUTCOMES:
        problems["outcome"] = "Choose an outcome: passed, failed or awaiting result."
    elif outcome == "pending" and month and _months_between(month, today) > PENDING_MAX_MONTHS:
        problems["outcome"] = "Results arrive within a few weeks; choose passed or failed."

    if prep_weeks is not None and (isinstance(prep_weeks, bool) or not isinstance(prep_weeks, int)
                                   or not MIN_PREP_WEEKS <= prep_weeks <= MAX_PREP_WEEKS):
        problems["prep_weeks"] = (f"Enter between {MIN_PREP_WEEKS} and {MAX_PREP_WEEKS} weeks of preparation, "
                                  "or leave it empty.")

    if score is not None:
        message = _score_problem(info=info, month=month, outcome=outcome, score=score)
        if message:
            problems["score"] = message
    return problems


def _score_problem(*, info: Step | None, month: date | None, outcome: str | None, score: int) -> str | None:
    """What is wrong with a given score, judged against what USMLE reported for that step and month."""
    if isinstance(score, bool) or not isinstance(score, int):
        return "Enter the score as a whole number, like 245."
    if not MIN_SCORE <= score <= MAX_SCORE:
        return f"USMLE scores run from {MIN_SCORE} to {MAX_SCORE}."
    if info is None:
        return None
    if info.code not in _SCORED_STEPS:
        return f"{info.label} was reported as pass or fail only, so it has no score."
    if month is None:
        return None
    if not score_allowed(info.code, month):
        return f"{info.label} has been pass/fail since {day_label(STEP1_PASS_FAIL_FROM)}, so it has no score."
    if outcome == "pending":
        return "Scores arrive with the result; add yours when you choose passed or failed."
    standard = passing_score(info.code, month)
    if standard is None:
        return None
    if outcome == "passed" and score < standard:
        return (f"The {info.label} passing standard in {month_label(month)} was {standard}, "
                f"so a passing score is {standard} or more.")
    if outcome == "failed" and score >= standard:
        return (f"The {info.label} passing standard in {month_label(month)} was {standard}, "
                f"so a failing score is below {standard}.")
    return None


def describe_record(*, step: str, exam_month: date, attempt: int, outcome: str, score: int | None) -> str:
    """The story card line: 'Step 2 CK · June 2025 · first attempt · passed · 245, passing standard then 214, +31'."""
    parts = [STEPS[step].label, month_label(exam_month), ordinal_attempt(attempt), OUTCOMES[outcome].lower()]
    if score is not None:
        standard = passing_score(step, exam_month)
        parts.append(f"{score}, passing standard then {standard}, {score - standard:+d}" if standard is not None
                     else f"{score}")
    return " · ".join(parts)


@dataclass(frozen=True)
class Era:
    """One line of context a reader needs to weigh a record: what the exam was like when it was taken."""
    kind: str  # "scoring" | "standard" | "software" | "discontinued"
    label: str
    caveat: str = ""  # said beside the label, e.g. a standard known only from secondary sources


def _standard_row(step: str, exam_date: date) -> tuple[date, int] | None:
    row = None
    for row_step, effective_from, score in PASSING_STANDARDS:
        if row_step == step and effective_from <= exam_date:
            row = (effective_from, score)
    return row


def eras(step: str, exam_month: date) -> list[Era]:
    """The eras a story was taken in, where they matter: Step 1 scored or pass/fail, the passing standard then,
    and the 2026 exam software. Judged by month, so a month that holds a change says both sides of it."""
    month = _month_start(exam_month)
    month_end = _add_months(month, 1) - timedelta(days=1)
    found: list[Era] = []
    if step == "step1":
        if month_end < STEP1_PASS_FAIL_FROM:
            found.append(Era("scoring", "Scored era: Step 1 reported a 3-digit score and pass/fail"))
        elif month >= STEP1_PASS_FAIL_FROM:
            found.append(Era("scoring", f"Pass/fail era: Step 1 has reported pass or fail only since "
                                        f"{day_label(STEP1_PASS_FAIL_FROM)}"))
        else:
            found.append(Era("scoring", f"{month_label(month)}: Step 1 was scored until "
                                        f"{day_label(STEP1_PASS_FAIL_FROM - timedelta(days=1))} and pass/fail from "
                                        f"{day_label(STEP1_PASS_FAIL_FROM)}"))
    if step == "step2cs":
        found.append(Era("discontinued", f"Step 2 CS was pass/fail only, last administered on "
                                         f"{day_label(STEP2CS_LAST_ADMINISTERED)} and discontinued on "
                                         f"{day_label(STEP2CS_DISCONTINUED)}"))
    first, last = _standard_row(step, month), _standard_row(step, month_end)
    for row in dict.fromkeys(r for r in (first, last) if r is not None):
        effective_from, score = row
        caveat = ("known from secondary sources only; not yet confirmed on usmle.org"
                  if (step, effective_from) in SECONDARY_SOURCE_ONLY else "")
        hidden = " (on the 3-digit scale; pass/fail reports do not show it)" if not reports_numeric_score(
            step, max(month, effective_from)) else ""
        found.append(Era("standard", f"Passing standard then: {score}, in force from {day_label(effective_from)}"
                                     f"{hidden}", caveat))
    software_from = NEW_SOFTWARE_FROM.get(step)
    if software_from is not None and month.year >= software_from.year:  # the software matters from 2026 on
        if month > software_from:
            found.append(Era("software", f"New exam software: 30-minute blocks, from {day_label(software_from)}"))
        elif month_end >= software_from:
            found.append(Era("software", f"{month_label(month)}: the new exam software (30-minute blocks) from "
                                         f"{day_label(software_from)}; earlier that month, the previous software"))
        else:
            found.append(Era("software", f"Previous exam software: the 30-minute-block software came on "
                                         f"{day_label(software_from)}"))
    return found


def validate_practice_score(*, scale: str, score: float | None, taken_on: date | None, exam_month: date | None,
                            today: date) -> dict[str, str]:
    """{"score" / "taken_on": message} for a practice assessment result; empty when it is believable.

    Practice comes before the exam, so the date must sit between three years before the exam month and the end
    of the month after it (a little slack for a misremembered month). Raises ValueError for an unknown scale:
    scales come from the catalogue, so that is a bug, not a typo.
    """
    if scale not in PRACTICE_SCALES:
        raise ValueError(f"unknown practice scale {scale!r}")
    low, high = PRACTICE_SCALES[scale]
    problems: dict[str, str] = {}
    if score is None:
        problems["score"] = "Enter the score."
    elif not low <= score <= high:
        kind = "3-digit" if scale == "three_digit" else "percent"
        problems["score"] = f"A {kind} score runs from {low} to {high}."
    elif scale == "three_digit" and score != int(score):
        problems["score"] = "Enter a 3-digit score as a whole number, like 231."
    elif scale == "percent" and abs(score * 10 - round(score * 10)) > 1e-9:  # tolerance: 72.3 * 10 is not exact
        problems["score"] = "Give a percent score to at most one decimal place, like 72.5."

    if taken_on is None:
        problems["taken_on"] = "Enter the day you took it."
    elif taken_on > today:
        problems["taken_on"] = "That day is still to come; enter the day you took it."
    elif exam_month is not None:
        latest = _add_months(exam_month, PRACTICE_GRACE_MONTHS + 1) - timedelta(days=1)
        earliest = _month_start(exam_month).replace(year=exam_month.year - PRACTICE_WINDOW_YEARS)
        if taken_on > latest:
            problems["taken_on"] = (f"Practice assessments come before the exam; enter a day no later than "
                                    f"{day_label(latest)}.")
        elif taken_on < earliest:
            problems["taken_on"] = (f"That is more than {PRACTICE_WINDOW_YEARS} years before the exam; "
                                    f"enter a day from {day_label(earliest)} on.")
    return problems


# --- Retake journeys: the spacing and number of attempts an author's linked stories show (forum.journeys) ------

# ecfmg.org news "New Rules on Repeating USMLE Examinations: Time between Examination Attempts" (2011), the rule the
# ECFMG 2024 Information Booklet still states: for exam applications from 1 January 2012, at most 3 attempts at the
# same Step within 12 months; the 4th and later attempts at least 12 months after the first and at least 6 months
# after the most recent. Applications before 2012 had only the first rule, with 4 attempts for the computer-based
# steps (Step 1, Step 2 CK, Step 3) and 3 for CS.
# Stories record the exam month, not the application date: an application of late 2011 named an eligibility period
# that could start months later and be extended by 3 more, so the 2012 rule judges attempts taken from this month on
# and the older, looser rule judges earlier ones (the code's own bound, like FIFTH_ATTEMPT_LAST_MONTH).
SPACING_RULE_EXAMS_FROM = date(2013, 1, 1)
SPACING_WINDOW_MONTHS = 12  # "within a 12-month period"
ATTEMPTS_PER_WINDOW = 3  # the 2012 rule, every step
ATTEMPTS_PER_WINDOW_BEFORE_2012 = {"step2cs": 3}  # CS kept 3 ...
ATTEMPTS_PER_WINDOW_BEFORE_2012_DEFAULT = 4  # ... the computer-based steps allowed 4
LATE_ATTEMPT = 4  # from the 4th attempt on, the 2012 rule also asks for a gap after the latest attempt
LATE_ATTEMPT_GAP_MONTHS = 6


def validate_journey(attempts: list[tuple[int, date]], *, step: str | None = None) -> list[str]:
    """What is wrong with an author's linked attempts at one step, as (attempt number, exam month) pairs in any
    order; empty when the record is believable. Messages are written for the author, one per problem.

    Only the linked attempts are judged, and only by what they alone must obey: an author may not have written
    about (or linked) every attempt, so attempt 2 and 4 linked without 3 are judged as "4 came after 2 and 3",
    never as a gap. The spacing rule in force is the one for the later attempt's month (SPACING_RULE_EXAMS_FROM);
    `step` matters only before it (CS allowed fewer attempts a year); None judges as a computer-based step.

    Months only, and lenient at the boundary: a rule is broken only when no days inside the two months could keep
    it. So a 4th attempt 12 calendar months after the first is accepted (1 Jan 2020 to 31 Jan 2021 is more than 12
    months) and 11 months after is refused (even 1 Jan to 31 Dec is less); 6 months after the latest attempt is
    accepted, 5 refused; two attempts in the same month are accepted in number order (days could order them).
    """
    problems: list[str] = []
    valid = [(n, _month_start(m)) for n, m in attempts
             if isinstance(n, int) and not isinstance(n, bool) and MIN_ATTEMPT <= n <= MAX_ATTEMPT]
    if len(valid) < len(attempts):
        problems.append(f"Attempts are numbered {MIN_ATTEMPT} to {MAX_ATTEMPT}; correct the attempt on the story "
                        "first.")
    numbers = [n for n, _ in valid]
    for n in sorted({n for n in numbers if numbers.count(n) > 1}):
        problems.append(f"{numbers.count(n)} of these stories are your {ordinal_attempt(n)}: link one story per "
                        "attempt.")
    for n, month in sorted(valid):
        if n > FOUR_ATTEMPT_LIMIT and month > FIFTH_ATTEMPT_LAST_MONTH:
            problems.append(f"USMLE has allowed at most {FOUR_ATTEMPT_LIMIT} attempts per step since July 2021, so "
                            f"a {ordinal_attempt(n)} in {month_label(month)} is not possible.")
    if problems:
        return problems  # spacing is judged on a record whose numbering holds
    ordered = sorted(valid)
    for (n_a, a), (n_b, b) in zip(ordered, ordered[1:], strict=False):
        if b < a:
            problems.append(f"Your {ordinal_attempt(n_b)} ({month_label(b)}) is dated before your "
                            f"{ordinal_attempt(n_a)} ({month_label(a)}): check the month or the attempt number.")
    if problems:
        return problems
    for index, (n_b, b) in enumerate(ordered):
        earlier = ordered[:index]
        window = _attempts_per_window(step, b)
        too_close = [(n_a, a) for n_a, a in earlier
                     if n_b - n_a + 1 > window and _months_between(a, b) < SPACING_WINDOW_MONTHS]
        if too_close:
            n_a, a = too_close[0]
            problems.append(f"{_came_after(n_b, b, n_a, a)}. USMLE allows at most {window} "
                            f"attempts at a step within {SPACING_WINDOW_MONTHS} months, so attempt {n_b} must be at "
                            f"least {SPACING_WINDOW_MONTHS} months after attempt {n_a}.")
        elif earlier and n_b >= LATE_ATTEMPT and b >= SPACING_RULE_EXAMS_FROM:
            n_a, a = earlier[-1]
            if _months_between(a, b) < LATE_ATTEMPT_GAP_MONTHS:
                problems.append(f"{_came_after(n_b, b, n_a, a)}. Since 2012 USMLE has required a "
                                f"{ordinal_attempt(LATE_ATTEMPT)} or later to be at least "
                                f"{LATE_ATTEMPT_GAP_MONTHS} months after the one before.")
    return problems


def _attempts_per_window(step: str | None, month: date) -> int:
    """How many attempts at one step the rule in force for an exam in this month allowed within 12 months."""
    if month >= SPACING_RULE_EXAMS_FROM:
        return ATTEMPTS_PER_WINDOW
    return ATTEMPTS_PER_WINDOW_BEFORE_2012.get(step or "", ATTEMPTS_PER_WINDOW_BEFORE_2012_DEFAULT)


def _came_after(n_b: int, b: date, n_a: int, a: date) -> str:
    """'Your fourth attempt (September 2020) came 8 months after your first attempt (January 2020)'."""
    months = _months_between(a, b)
    gap = "in the same month as" if months == 0 else f"{months} month{'s' if months != 1 else ''} after"
    return f"Your {ordinal_attempt(n_b)} ({month_label(b)}) came {gap} your {ordinal_attempt(n_a)} ({month_label(a)})"
