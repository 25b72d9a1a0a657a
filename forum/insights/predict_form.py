"""The /predict form: a GET form (no CSRF token, nothing stored, the URL is the prediction), any number of practice
score rows without JavaScript, and every typed value checked by forum.exam and forum.scales, each complaint on its
own field, so bad input is a 400 with the form kept and never a 500.

Rows are named practice-N-form, practice-N-score and practice-N-taken. The filled ones are shown again numbered
from 0, followed by EMPTY_ROWS empty ones: submitting is how a reader without JavaScript gets more rows.
"""
import re
from dataclasses import dataclass
from datetime import date

from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from .. import caching, catalogue, exam, scales
from ..models import BACKGROUNDS
from ..stories.forms import parse_day, parse_number
from . import predict
from .forms import Choice

MAX_ROWS = 20  # more practice scores than anyone takes; bounds the work one URL can ask for
EMPTY_ROWS = 3
MONTHS_AHEAD = 36  # a planned exam month further off than this is a typo
ROW_KEY = re.compile(r"^practice-([0-9]{1,9})-(form|score|taken)$")
# Steps with self-assessments to predict from: Step 2 CS had none (a pass/fail clinical skills exam).
PREDICTABLE = tuple(code for code in exam.STEP_CODES if code != "step2cs")
MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


@dataclass(frozen=True)
class SelfAssessment:
    """What the form needs of a catalogue self-assessment: plain values, so the list can be memoised."""

    slug: str
    name: str
    steps: tuple[str, ...]
    periods: tuple[scales.Period, ...]


def self_assessments() -> dict[str, SelfAssessment]:
    """{slug: SelfAssessment} in natural order (Form 6 before Form 10), kept until the catalogue changes (its
    edits raise the site scope, which every memoised value follows)."""
    return caching.memoize("predict-forms", _load_self_assessments)


def _load_self_assessments() -> dict[str, SelfAssessment]:
    found = sorted(catalogue.self_assessments(), key=lambda r: catalogue.natural_key(r.name))
    return {r.slug: SelfAssessment(slug=r.slug, name=r.name, steps=tuple(r.step_codes),
                                   periods=tuple(scales.periods_of(r))) for r in found}


class PracticeRow(Form):
    """One practice score: the self-assessment (a slug), the score as its report gave it, the day (optional)."""

    form = StringField("Self-assessment", validators=[Length(max=80, message="Choose a self-assessment.")])
    score = StringField("Score", validators=[Length(max=10, message="Enter the score as a number, like 231.")])
    taken = StringField("Date taken", validators=[Length(max=10, message="Enter the date like 2025-05-14.")])

    def filled(self) -> bool:
        return any((field.data or "").strip() for field in (self.form, self.score, self.taken))

    def entry(self, assessments: dict[str, SelfAssessment], *, step: str, month: date | None,
              today: date) -> predict.Entry | None:
        """The row as a predict.Entry, or None with the errors on its fields."""
        if not self.validate():
            return None
        chosen = assessments.get((self.form.data or "").strip())
        score, taken = parse_number(self.score.data), parse_day(self.taken.data)
        problems: dict[str, str] = {}
        if not (self.form.data or "").strip():
            problems["form"] = "Choose the self-assessment this score is from."
        elif chosen is None:
            problems["form"] = "Choose a self-assessment from the list."
        elif step not in chosen.steps:
            serves = " and ".join(exam.STEPS[code].label for code in chosen.steps if code in exam.STEPS)
            problems["form"] = f"{chosen.name} is a {serves} self-assessment; choose one for {exam.STEPS[step].label}."
        if score is None:
            problems["score"] = "Enter the score."
        elif score == "invalid":
            problems["score"] = "Enter the score as a number, like 231 or 72.5."
        if taken == "invalid":
            problems["taken"] = "Enter the date as year-month-day, like 2025-05-14."
        if not problems:
            period = scales.period_on(list(chosen.periods), taken or month or today)
            scale = scales.decide(period.scale, score)
            rules = exam.validate_practice_score(scale=scale, score=score, taken_on=taken or today, exam_month=month,
                                                 today=today)
            message = scales.mismatch(chosen.name, period, score) or rules.get("score")
            if message:
                problems["score"] = message
            if taken and rules.get("taken_on"):
                problems["taken"] = rules["taken_on"]
        for name, message in problems.items():
            getattr(self, name).errors = [*getattr(self, name).errors, message]
        if problems:
            return None
        return predict.Entry(slug=chosen.slug, scale=scale, score=score, taken_on=taken)


class PredictForm(Form):
    step = Choice("Step", default="step2ck", message="Choose Step 1, Step 2 CK or Step 3 (Step 2 CS had no "
                                                     "self-assessments).",
                  choices=[SelectChoice(code, exam.STEPS[code].label) for code in PREDICTABLE])
    background = Choice("Your background", default="", message="Choose US MD, US DO, IMG, Other or any background.",
                        choices=[SelectChoice("", "Any background")]
                        + [SelectChoice(key, label) for key, label in BACKGROUNDS.items()])
    month = StringField("Planned exam month", default="",
                        validators=[Length(max=7, message="Enter the month as year-month, like 2026-06.")],
                        description="Optional. Year and month, like 2026-06.")
    verified = Choice("Verified outcomes only", default="", message="Tick the box or leave it empty.",
                      choices=[SelectChoice("", "All stories"), SelectChoice("1", "Verified outcomes only")])

    def __init__(self, args: MultiDict, assessments: dict[str, SelfAssessment], *, today: date):
        super().__init__(args)
        self.assessments, self.today = assessments, today
        self.planned: date | None = None
        self.entries: list[predict.Entry] = []
        self.form_errors: list[str] = []
        filled = _filled_rows(args)
        if len(filled) > MAX_ROWS:
            self.form_errors.append(f"At most {MAX_ROWS} practice scores can be given; the first {MAX_ROWS} are "
                                    "kept below.")
            filled = filled[:MAX_ROWS]
        self.rows = [PracticeRow(_renumbered(fields, n), prefix=f"practice-{n}") for n, fields in enumerate(filled)]
        self.rows += [PracticeRow(prefix=f"practice-{n}")
                      for n in range(len(self.rows), min(len(self.rows) + EMPTY_ROWS, MAX_ROWS))]

    @property
    def has_scores(self) -> bool:
        return any(row.filled() for row in self.rows)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators=extra_validators) and not self.form_errors
        self.planned = self._planned_month()
        if self.step.errors or self.month.errors:
            return False  # a row is judged by the step and the month: without them its errors would mislead
        entries = [row.entry(self.assessments, step=self.step.data, month=self.planned, today=self.today)
                   for row in self.rows if row.filled()]
        self.entries = [entry for entry in entries if entry is not None]
        return ok and len(self.entries) == len(entries)

    @property
    def errors(self) -> dict:
        found = dict(super().errors)
        for row in self.rows:
            found.update({f"{row._prefix}{name}": messages for name, messages in row.errors.items()})
        return found

    def _planned_month(self) -> date | None:
        text = (self.month.data or "").strip()
        if not text or self.month.errors:
            return None
        match = MONTH.match(text)
        try:
            month = date(int(match.group(1)), int(match.group(2)), 1) if match else None
        except ValueError:  # month 13, year 0
            month = None
        if month is None:
            self.month.errors = [*self.month.errors, "Enter the month as year-month, like 2026-06."]
            return None
        first = exam.STEPS[self.step.data].first_exam_month if self.step.data in exam.STEPS else month
        index = self.today.year * 12 + self.today.month - 1 + MONTHS_AHEAD
        last = date(index // 12, index % 12 + 1, 1)
        if not first <= month <= last:
            self.month.errors = [*self.month.errors, f"Choose a month from {first:%Y-%m} to {last:%Y-%m}."]
            return None
        return month

    def query_args(self) -> dict[str, str]:
        """The canonical query of a valid form: what "Link to this prediction" and the prefill redirect give."""
        return query_args(step=self.step.data, background=self.background.data, month=self.planned,
                          verified=self.verified.data == "1", entries=self.entries)


def query_args(*, step: str, background: str, month: date | None, verified: bool,
               entries: list[predict.Entry]) -> dict[str, str]:
    args = {"step": step}
    if background:
        args["background"] = background
    if month:
        args["month"] = f"{month:%Y-%m}"
    if verified:
        args["verified"] = "1"
    for n, entry in enumerate(entries[:MAX_ROWS]):
        args[f"practice-{n}-form"] = entry.slug
        args[f"practice-{n}-score"] = scales.input_text(entry.scale, entry.score)
        if entry.taken_on:
            args[f"practice-{n}-taken"] = entry.taken_on.isoformat()
    return args


def _filled_rows(args: MultiDict) -> list[dict[str, str]]:
    """The practice rows the query gives with anything typed in them, in the order of their numbers."""
    rows: dict[int, dict[str, str]] = {}
    for key in args:
        match = ROW_KEY.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = args.get(key, "")
    return [fields for _, fields in sorted(rows.items()) if any(value.strip() for value in fields.values())]


def _renumbered(fields: dict[str, str], n: int) -> MultiDict:
    return MultiDict({f"practice-{n}-{name}": value for name, value in fields.items()})
