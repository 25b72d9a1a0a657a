"""The story form: the exam record, resources, practice scores and the text.

The USMLE rules themselves live in forum/exam.py; this form turns typed text into values, asks exam.py, and puts
each complaint on the field it concerns.
"""
import re
import secrets
from datetime import date
from typing import NamedTuple

from wtforms import BooleanField, Form, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import FieldList, FormField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import exam, scales
from ..auth.forms import BACKGROUND_CHOICES
from ..catalogue import natural_key
from ..forms import BaseForm, strip_or_none
from ..models import utcnow

TITLE_MIN, TITLE_MAX = 5, 150
BODY_MIN, BODY_MAX = 30, 60_000  # a few sentences at least; 60,000 characters is a long chapter
RESOURCE_ROWS, PRACTICE_ROWS = 3, 2  # empty rows offered on a new form
MAX_ROWS = 40  # enough for any real list; bounds the work one POST can ask for
REASON_MAX = 500  # the moderation log's column

ATTEMPT_CHOICES = [SelectChoice(str(n), f"{exam.ordinal_attempt(n).capitalize()}")
                   for n in range(exam.MIN_ATTEMPT, exam.MAX_ATTEMPT + 1)]
RATING_CHOICES = [SelectChoice("", "Not rated"), *(SelectChoice(str(n), f"{n} of 5") for n in range(5, 0, -1))]
MONTH_PATTERN = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(text: str | None) -> date | None:
    """'2025-06' (what <input type=month> sends) -> date(2025, 6, 1); also accepts '06/2025'."""
    text = (text or "").strip()
    match = MONTH_PATTERN.match(text) or re.match(r"^\s*(\d{1,2})/(\d{4})\s*$", text)
    if not match:
        return None
    year, month = (int(match.group(1)), int(match.group(2))) if len(match.group(1)) == 4 else \
        (int(match.group(2)), int(match.group(1)))
    try:
        return date(year, month, 1)
    except ValueError:
        return None


def parse_int(text: str | None) -> int | None | str:
    """None for blank, an int, or the string 'invalid'."""
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if re.fullmatch(r"[+-]?\d{1,6}", text) else "invalid"


def parse_number(text: str | None) -> float | None | str:
    text = (text or "").strip().rstrip("%").strip()
    if not text:
        return None
    return float(text) if re.fullmatch(r"\d{1,4}(\.\d{1,2})?", text) else "invalid"


def parse_day(text: str | None) -> date | None | str:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return "invalid"


class ResourceRowForm(Form):
    name = StringField("Resource", filters=[strip_or_none], validators=[Length(max=120)])
    rating = SelectField("How much it helped", choices=RATING_CHOICES, default="")
    note = StringField("Note", filters=[strip_or_none],
                       validators=[Length(max=200, message="Keep notes under 200 characters.")])


class PracticeRow(NamedTuple):
    """A validated practice score, with the scale decided by its assessment and the day it was taken."""

    resource: object  # forum.models.Resource
    score: float
    taken_on: date
    scale: str


def assessment_choices(assessments) -> list[SelectChoice]:
    """The assessment select: a group per step, in step order, each in natural order (Form 6 before Form 10).

    An assessment serving two steps (AMBOSS) is offered in both groups. Each option names its step (data-step), so
    forum/static/js/practice.js can hide the groups of other steps; the form's own check is what counts.
    """
    choices = [SelectChoice("", "Choose an assessment")]
    for code in exam.STEP_CODES:
        serving = sorted((r for r in assessments if code in r.step_codes), key=lambda r: natural_key(r.name))
        choices += [SelectChoice(str(r.id), r.name, render_kw={"data-step": code}, optgroup=exam.STEPS[code].label)
                    for r in serving]
    return choices


class PracticeRowForm(Form):
    assessment = SelectField("Assessment", choices=[], default="")
    score = StringField("Score", filters=[strip_or_none], validators=[Length(max=10)])
    taken_on = StringField("Date taken", filters=[strip_or_none], validators=[Length(max=10)])


class StoryForm(BaseForm):
    title = StringField("Title", filters=[strip_or_none], validators=[
        DataRequired(message="Give your story a title."),
        Length(min=TITLE_MIN, max=TITLE_MAX, message=f"Use {TITLE_MIN} to {TITLE_MAX} characters.")])
    step = SelectField("Step", choices=[SelectChoice("", "Choose a step"),
                                        *(SelectChoice(code, exam.STEPS[code].label) for code in exam.STEP_CODES)])
    exam_month = StringField("Exam month", filters=[strip_or_none], validators=[Length(max=20)],
                             description="Year and month, like 2025-06.")
    attempt = SelectField("Attempt", choices=ATTEMPT_CHOICES, default="1")
    outcome = SelectField("Outcome", choices=[SelectChoice("", "Choose an outcome"),
                                              *(SelectChoice(k, v) for k, v in exam.OUTCOMES.items())])
    score = StringField("Score", filters=[strip_or_none], validators=[Length(max=10)],
                        description="Optional. The 3-digit score, where your exam reported one.")
    background = SelectField("Your background", choices=BACKGROUND_CHOICES, default="")
    prep_weeks = StringField("Weeks of dedicated prep", filters=[strip_or_none], validators=[Length(max=10)],
                             description="Optional. 0 to 104.")
    resources = FieldList(FormField(ResourceRowForm), min_entries=RESOURCE_ROWS, max_entries=MAX_ROWS)
    practice = FieldList(FormField(PracticeRowForm), min_entries=PRACTICE_ROWS, max_entries=MAX_ROWS)
    body = TextAreaField("Your story", filters=[strip_or_none], validators=[
        DataRequired(message="Tell your story: what you did, what helped, what you would change."),
        Length(min=BODY_MIN, max=BODY_MAX, message=f"Write {BODY_MIN} to {BODY_MAX:,} characters.")],
        description="Markdown: **bold**, *italic*, lists, tables, [links](https://…). No recalled exam questions.")
    submission_key = HiddenField()
    # Shown only to a moderator editing someone else's story (the edit view ignores them otherwise). The box is
    # ticked on the form: a moderator edits another member's story to take something out, so by default the
    # versions that still hold it are hidden too.
    hide_replaced = BooleanField("Hide the replaced version from readers", default=True,
                                 description="Readers see that a moderator hid a version, not what it said; "
                                             "moderators still see it. Untick to keep the old versions public.")
    reason = StringField("Why you edit it (public, in the moderation log)", filters=[strip_or_none],
                         validators=[Length(max=REASON_MAX)], description="Optional. Also the reason for hiding.")
    publish = SubmitField("Publish")
    preview = SubmitField("Preview")
    add_resource = SubmitField("Add another resource")
    add_practice = SubmitField("Add another practice score")

    def __init__(self, *args, assessments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.assessments = {str(r.id): r for r in assessments}
        choices = assessment_choices(assessments)
        for row in self.practice:
            row.form.assessment.choices = choices
        # The key only de-duplicates presses of one form; one we did not make (missing, mangled, oversized)
        # simply becomes a new key rather than an error the writer could do nothing about.
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", self.submission_key.data or ""):
            self.submission_key.data = secrets.token_urlsafe(16)
        self.record: dict = {}
        self.practice_rows: list[PracticeRow] = []

    def wants_more_rows(self) -> bool:
        """The no-JavaScript 'add a row' buttons: add one and show the form again."""
        if self.add_resource.data and len(self.resources) < MAX_ROWS:
            self.resources.append_entry()
            return True
        if self.add_practice.data and len(self.practice) < MAX_ROWS:
            self.practice.append_entry()
            self.practice[-1].form.assessment.choices = self.practice[0].form.assessment.choices
            return True
        return bool(self.add_resource.data or self.add_practice.data)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators=extra_validators)
        today = utcnow().date()
        exam_month = parse_month(self.exam_month.data)
        score, prep_weeks = parse_int(self.score.data), parse_int(self.prep_weeks.data)
        problems: dict[str, str] = {}
        if self.exam_month.data and exam_month is None:
            problems["exam_month"] = "Enter the month as year-month, like 2025-06."
        if score == "invalid":
            problems["score"] = "Enter the score as a whole number, like 245, or leave it empty."
        if prep_weeks == "invalid":
            problems["prep_weeks"] = "Enter a whole number of weeks, like 8, or leave it empty."
        if not self.step.data:
            problems["step"] = "Choose the step you took."
        if not self.outcome.data:
            problems["outcome"] = "Choose an outcome."
        attempt = int(self.attempt.data) if re.fullmatch(r"[1-9]", self.attempt.data or "") else None
        if self.step.data in exam.STEP_CODES and attempt is not None:
            rule_problems = exam.validate_exam_record(
                step=self.step.data, exam_month=exam_month, attempt=attempt,
                outcome=self.outcome.data or None, score=None if score == "invalid" else score,
                prep_weeks=None if prep_weeks == "invalid" else prep_weeks, today=today)
            for name, message in rule_problems.items():
                problems.setdefault(name, message)
        for name, message in problems.items():
            field = getattr(self, name)
            field.errors = [*field.errors, message]
        self.record = {"step": self.step.data, "exam_month": exam_month, "attempt": attempt,
                       "outcome": self.outcome.data, "score": score, "prep_weeks": prep_weeks,
                       "background": self.background.data or None}
        practice_ok = self._validate_practice(exam_month, today, step=self.step.data)
        return ok and not problems and practice_ok

    def _validate_practice(self, exam_month: date | None, today: date, *, step: str | None) -> bool:
        """Each filled row: an assessment of the story's step, a date, and a score on the scale that assessment
        reported on that date (forum.scales), then exam.py's range and date rules on that scale."""
        ok = True
        self.practice_rows = []
        for row in self.practice:
            fields = row.form
            if not (fields.assessment.data or fields.score.data or fields.taken_on.data):
                continue  # an empty row is simply unused
            resource = self.assessments.get(fields.assessment.data or "")
            if resource is None:
                fields.assessment.errors = [*fields.assessment.errors, "Choose the assessment you took."]
                ok = False
                continue
            problems = {}
            if step in exam.STEP_CODES and step not in resource.step_codes:
                serves = " and ".join(exam.STEPS[code].label for code in resource.step_codes if code in exam.STEPS)
                problems["assessment"] = (f"{resource.name} is a {serves} assessment; choose one for "
                                          f"{exam.STEPS[step].label}.")
            score, taken_on = parse_number(fields.score.data), parse_day(fields.taken_on.data)
            if score == "invalid":
                problems["score"] = "Enter the score as a number, like 231 or 72.5."
            if taken_on == "invalid":
                problems["taken_on"] = "Enter the date as year-month-day, like 2025-05-14."
            scale = None
            if isinstance(score, float):
                if isinstance(taken_on, date):
                    period = scales.period_on(scales.periods_of(resource), taken_on)
                    message = scales.mismatch(resource.name, period, score)
                    if message:
                        problems.setdefault("score", message)
                    scale = scales.decide(period.scale, score)
                else:  # no day, no period: the date's own error says so; the value still gets its range check
                    scale = scales.sensible_scale(score)
            if not problems:
                problems = exam.validate_practice_score(scale=scale or scales.THREE_DIGIT, score=score,
                                                        taken_on=taken_on, exam_month=exam_month, today=today)
            for name, message in problems.items():
                field = getattr(fields, name)
                field.errors = [*field.errors, message]
                ok = False
            if not problems:
                self.practice_rows.append(PracticeRow(resource=resource, score=score, taken_on=taken_on, scale=scale))
        return ok

    def resource_rows(self) -> list[tuple[str, int | None, str]]:
        """(typed name, rating, note) for each filled resource row, first mention of a name wins."""
        rows, seen = [], set()
        for row in self.resources:
            name = (row.form.name.data or "").strip()
            if name and name.casefold() not in seen:
                seen.add(name.casefold())
                rating = int(row.form.rating.data) if row.form.rating.data else None
                rows.append((name, rating, row.form.note.data or ""))
        return rows
