"""A story's practice scores as charts: one per scale, never two scales on one axis.

A percent-correct 68 and a 3-digit 231 are different measurements; drawn on one axis the 68 reads as a
catastrophic 3-digit score. So each scale gets its own chart, with its own axis, heading and table. The real exam
result is drawn apart from the practice points at the exam month: a diamond at the score on the 3-digit chart,
and otherwise (a pass/fail result, or a 3-digit score beside percent practice) a vertical line carrying the result
in words, because any height on that axis would claim a value nobody reported.
"""
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from . import charts, exam
from .dates import day_label, month_label
from .models import PracticeScore, Story

THREE_DIGIT, PERCENT = "three_digit", "percent"
AXIS_PAD = 10  # score points of room below the lowest value, so a point never sits on the axis line
THREE_DIGIT_HEADROOM = 20  # and above the highest, where the exam diamond's label goes


@dataclass(frozen=True)
class Scale:
    """How one scale is named and drawn."""
    heading: str
    y_label: str
    unit: str  # after a number: "68%" but "231"
    in_words: str  # in a sentence: "3 practice scores on the 3-digit scale"


SCALES = {
    THREE_DIGIT: Scale(heading="Practice scores (3-digit)", y_label="3-digit score", unit="",
                       in_words="on the 3-digit scale"),
    PERCENT: Scale(heading="Practice scores (percent correct)", y_label="Percent correct", unit="%",
                   in_words="in percent correct"),
}


@dataclass(frozen=True)
class PracticeChart:
    """One scale's chart and the table that says the same in text (for readers who cannot see the picture)."""
    scale: str
    heading: str
    svg: Markup
    rows: list[tuple[str, date, str]]  # (assessment, day taken, score with its unit), in date order
    exam: tuple[str, date, str]  # ("Step 1 exam", exam month, result as this chart shows it)


def practice_charts(story: Story) -> list[PracticeChart]:
    """A chart per scale the story's practice scores use, 3-digit first; none without practice scores.

    Reads story.practice_scores (with their resources), so load them with the story.
    """
    by_scale = {scale: [p for p in story.practice_scores if p.scale == scale] for scale in SCALES}
    return [_chart(story, scale, scores) for scale, scores in by_scale.items() if scores]


def score_text(value: float, scale: str) -> str:
    """'231' or '68%' (and '72.5%'): a practice score with its unit."""
    return f"{value:g}{SCALES[scale].unit}"


def _chart(story: Story, scale: str, scores: list[PracticeScore]) -> PracticeChart:
    info, exam_name = SCALES[scale], f"{exam.STEPS[story.step].label} exam"
    month = story.exam_month.replace(day=1)
    scores = sorted(scores, key=lambda p: p.taken_on)
    (y_min, y_max), reference, on_axis, about_passing = _axis(story, scale, [p.score for p in scores], month)
    result = _result(story, on_axis=on_axis is not None)
    marker = charts.Marker(day=month, value=on_axis, label=f"{exam_name}: {result}", legend=exam_name,
                           tip=f"{exam_name} · {month_label(month)} · {result}")
    drawn_exam = (f"the {exam_name} score, {on_axis}, as a diamond at {month_label(month)}" if on_axis is not None
                  else f"the {exam_name} in {month_label(month)} as a vertical line labelled “{marker.label}”")
    description = f"{_points_sentence(scores, scale)}; {about_passing}; {drawn_exam}."
    svg = charts.line_chart([("Practice scores", [(p.taken_on, p.score, p.resource.name) for p in scores])],
                            title=info.heading, description=description, y_min=y_min, y_max=y_max,
                            y_label=info.y_label, unit=info.unit, value_labels=True, marker=marker,
                            reference=(reference, f"Passing standard {reference}") if reference else None)
    rows = [(p.resource.name, p.taken_on, score_text(p.score, scale)) for p in scores]
    return PracticeChart(scale=scale, heading=info.heading, svg=svg, rows=rows, exam=(exam_name, month, result))


def _axis(story: Story, scale: str, values: list[float],
          month: date) -> tuple[tuple[float, float], int | None, int | None, str]:
    """(y range, passing line, real score on this axis, what the chart says about passing) for one scale.

    The 3-digit axis holds the practice scores, the standard in force at the exam month and the real score. The
    percent axis runs to 100 and holds the practice scores only: the real exam never reported a percent, and
    there is no official passing standard in percent correct.
    """
    step = exam.STEPS[story.step].label
    if scale != THREE_DIGIT:
        return ((max(0, (min(values) // 10) * 10 - AXIS_PAD), 100), None, None,
                "no passing line, as there is no official passing standard in percent correct")
    reference = exam.passing_standard(story.step, month)
    shown = values + [v for v in (reference, story.score) if v is not None]
    y_range = (max(1, (min(shown) // 10) * 10 - AXIS_PAD), min(300, (max(shown) // 10) * 10 + THREE_DIGIT_HEADROOM))
    about_passing = (f"a dashed line at {reference}, the {step} passing standard in {month_label(month)}"
                     if reference is not None
                     else f"no passing line, as no {step} passing standard is known for {month_label(month)}")
    return y_range, reference, story.score, about_passing


def _points_sentence(scores: list[PracticeScore], scale: str) -> str:
    """'3 practice scores in percent correct, from 1 March 2023 to 20 May 2023, ranging 62% to 78%'."""
    in_words, values = SCALES[scale].in_words, [p.score for p in scores]
    if len(scores) == 1:
        return f"1 practice score {in_words}, {score_text(values[0], scale)} on {day_label(scores[0].taken_on)}"
    return (f"{len(scores)} practice scores {in_words}, from {day_label(scores[0].taken_on)} to "
            f"{day_label(scores[-1].taken_on)}, ranging {score_text(min(values), scale)} to "
            f"{score_text(max(values), scale)}")


def _result(story: Story, *, on_axis: bool) -> str:
    """The real result in words: the score itself where the chart's axis is 3-digit, else the score with its
    scale named, else the outcome ('passed', 'failed', 'awaiting result')."""
    if story.score is not None:
        return f"{story.score}" if on_axis else f"{story.score} (3-digit score)"
    return exam.OUTCOMES[story.outcome].lower()
