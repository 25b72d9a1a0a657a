"""/predict, "People like me": a GET form whose URL is the prediction. Nothing the reader types is stored; a member
may fill the form in from one of their own stories, which redirects to the same URL anyone could have typed.

Not in the page cache: every query is a different page, and the work behind it is memoised instead
(forum.insights.people_like_me.answer), so a repeated question costs no prediction queries.
"""
import sqlalchemy as sa
from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import exam, permissions, scales
from ..dates import month_label
from ..extensions import db
from ..models import BACKGROUNDS, PracticeScore, Story, utcnow
from . import bp, people_like_me, predict, predict_form, stats
from .predict_form import PredictForm

OWN_STORIES = 50  # stories offered in "Fill in from my story": more than any member writes
CAVEAT = ("Self-reported by the people who chose to write these stories; people who passed write more often than "
          "people who failed.")


@bp.route("/predict", endpoint="predict")
def predict_page():
    if "mine" in request.args:
        return _fill_in_from(request.args.get("mine", ""))
    today = utcnow().date()
    form = PredictForm(request.args, predict_form.self_assessments(), today=today)
    valid = form.validate()
    step = form.step.data if not form.step.errors else None
    answer = None
    if valid and form.entries:
        answer = people_like_me.answer(step, form.background.data, form.planned, form.entries,
                                       verified=form.verified.data == "1", today=today)
    page = render_template(
        "insights/predict.html", form=form, answer=answer, assessments=form.assessments,
        offered=_offered(form.assessments, step), own_stories=_own_stories(),
        verified_stories=people_like_me.verified_stories(step) if step else 0,
        share_url=url_for("insights.predict", **form.query_args()) if answer else None,
        score_method=predict.SCORE_METHOD, pass_method=predict.PASS_METHOD, caveat=CAVEAT, fewer=stats.FEWER,
        min_group=stats.MIN_GROUP, standard_label=_standard_label(answer), display=scales.display)
    return page, (200 if valid else 400)


def _offered(assessments: dict, step: str | None) -> list[tuple[str, list]]:
    """The self-assessment select's groups: the chosen step's first, then the others (a form of another step is a
    field error, and without JavaScript the list cannot follow a step changed on the page)."""
    order = sorted(predict_form.PREDICTABLE, key=lambda code: code != step)
    return [(exam.STEPS[code].label, [a for a in assessments.values() if code in a.steps]) for code in order]


def _standard_label(answer) -> str:
    if answer is None or answer.standard is None:
        return ""
    when = f"in {month_label(answer.month)}" if answer.month else "taken now"
    return f"The {exam.STEPS[answer.step].label} passing standard for an exam {when} is {answer.standard.score}"


def _own_stories() -> list[tuple[int, str]]:
    """(id, label) of the reader's published stories with practice scores, for "Fill in from my story"."""
    if not permissions.is_signed_in(current_user):
        return []
    has_scores = sa.exists().where(PracticeScore.story_id == Story.id)
    rows = db.session.execute(
        sa.select(Story.id, Story.title, Story.step, Story.exam_month)
        .where(Story.author_id == current_user.id, Story.status == "published",
               Story.step.in_(predict_form.PREDICTABLE), has_scores)
        .order_by(Story.exam_month.desc(), Story.id.desc()).limit(OWN_STORIES))
    return [(sid, f"{title} ({exam.STEPS[step].label}, {month_label(month)})") for sid, title, step, month in rows]


def _fill_in_from(story_id: str):
    """Redirect to the /predict query built from the reader's own story: its step, background, exam month and
    practice scores (the latest MAX_ROWS). Anyone else's story, or none, is a 404: nothing is said about it."""
    if not permissions.is_signed_in(current_user) or not story_id.isascii() or not story_id.isdigit() \
            or len(story_id) > 12:
        abort(404)
    story = db.session.scalar(sa.select(Story).options(selectinload(Story.practice_scores))
                              .where(Story.id == int(story_id)))
    if story is None or not permissions.can_fill_in_prediction_from(current_user, story):
        abort(404)
    entries = [predict.Entry(slug=p.resource.slug, scale=p.scale, score=p.score, taken_on=p.taken_on)
               for p in story.practice_scores][-predict_form.MAX_ROWS:]
    args = predict_form.query_args(step=story.step, background=story.background if story.background in BACKGROUNDS
                                   else "", month=story.exam_month, verified=False, entries=entries)
    return redirect(url_for("insights.predict", **args), code=303)
