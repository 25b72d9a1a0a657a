"""The /insights filter: a GET form, so no CSRF token; anything not on offer is a field error and a 400."""
from wtforms import Form, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, Regexp

from .. import exam
from ..models import BACKGROUNDS, utcnow

FIRST_YEAR = min(step.first_exam_month.year for step in exam.STEPS.values())  # no exam before USMLE began


class Choice(SelectField):
    """A select whose wrong value gets a sentence saying what would do, instead of WTForms' "Not a valid choice"."""

    def __init__(self, label, *, message: str, **kwargs):
        super().__init__(label, **kwargs)
        self.message = message

    def pre_validate(self, form):
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(self.message)


class InsightsFilter(Form):
    step = Choice("Step", default=exam.STEP_CODES[0], message="Choose Step 1, Step 2 CK, Step 2 CS or Step 3.",
                  choices=[SelectChoice(code, exam.STEPS[code].label) for code in exam.STEP_CODES])
    background = Choice("Background", default="", message="Choose US MD, US DO, IMG, Other or every background.",
                        choices=[SelectChoice("", "Every background")]
                        + [SelectChoice(key, label) for key, label in BACKGROUNDS.items()])
    year = Choice("Exam year", default="", message=f"Choose an exam year from {FIRST_YEAR} on, or every year.")

    # Which self-assessment's scatter to show; any slug-shaped value is fine (one without enough stories just
    # shows the most reported one instead), anything else is an error.
    assessment = StringField("Self-assessment", default="", validators=[
        Optional(), Length(max=80), Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Not a self-assessment's address.")])

    def __init__(self, formdata):
        super().__init__(formdata)
        today = utcnow().date()
        self.year.choices = [SelectChoice("", "Every year")] + [
            SelectChoice(str(year), str(year)) for year in range(today.year, FIRST_YEAR - 1, -1)]
        self.year.message = f"Choose an exam year from {FIRST_YEAR} to {today.year}, or every year."

    @property
    def selection(self) -> tuple[str, str, int | None]:
        """(step, background, year) for forum.insights.data.compute; only after validate() passed."""
        return self.step.data, self.background.data, int(self.year.data) if self.year.data else None

    def offer(self, years: tuple[int, ...], backgrounds: tuple[str, ...]) -> None:
        """After validation: the selects offer only what has stories (and keep what is chosen), so no option on
        the page leads to an empty one. Any year from FIRST_YEAR on still validates: a shared link stays good."""
        offered_years = {*years, *([int(self.year.data)] if self.year.data else [])}
        offered_backgrounds = {*backgrounds, self.background.data}
        self.year.choices = [SelectChoice("", "Every year")] + [
            SelectChoice(str(year), str(year)) for year in sorted(offered_years, reverse=True)]
        self.background.choices = [SelectChoice("", "Every background")] + [
            SelectChoice(key, label) for key, label in BACKGROUNDS.items() if key in offered_backgrounds]

    def query_args(self) -> dict:
        return {key: value for key, value in (("step", self.step.data), ("background", self.background.data),
                                              ("year", self.year.data)) if value}

    def csv_name(self) -> str:
        return "-".join(["insights", *self.query_args().values()]) + ".csv"
