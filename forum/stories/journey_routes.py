"""Link a story with the author's other attempts at its step (forum.journeys): one page, for the author only."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import Length

from .. import exam, journeys, loaders, permissions
from ..extensions import db
from ..forms import BaseForm
from ..models import Story
from ..posting_limits import answer_later, edit_limit_exceeded
from ..urls import story_url
from . import bp

MAX_PICKED = exam.MAX_ATTEMPT - 1  # one story per attempt: more would repeat an attempt, and bounds the query

# The story tools ask it (the author's "Link attempts"); register_template_helpers can take this line over.
bp.add_app_template_global(permissions.can_link_journey, "can_link_journey")


class JourneyForm(BaseForm):
    # The boxes are drawn by the template (each with its story's record); ids are checked against the author's
    # stories in the view, which says which story is wrong and why.
    stories = SelectMultipleField("Your other stories at this step", coerce=int, validate_choice=False)
    note = TextAreaField("What changed this time", validators=[Length(max=journeys.NOTE_MAX)],
                         description="What you did differently for this attempt; shown beside it in the journey.")
    save = SubmitField("Save journey")
    unlink = SubmitField("Take this story out of the journey")


@bp.route("/stories/<int:story_id>/journey", methods=["GET", "POST"])
def journey(story_id: int):
    story = loaders.story_or_404(story_id)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    if not permissions.can_link_journey(current_user, story):
        abort(403)
    options = journeys.candidates(story)
    in_journey = [s for s in options if s.journey_id is not None
                  and (story.journey_id is None or s.journey_id == story.journey_id)]
    form = JourneyForm(data=None if request.method == "POST" else
                       {"stories": [s.id for s in in_journey], "note": story.journey_note})
    if not form.validate_on_submit():
        return render_journey(form, story=story, options=options, in_journey=in_journey,
                              status=400 if form.is_submitted() else 200)
    if form.unlink.data or (not form.stories.data and story.journey_id is not None):
        journeys.unlink(story)
        db.session.commit()
        flash("This story is no longer part of a journey.", "info")
        return redirect(story_url(story))
    picked, problems = picked_stories(form.stories.data)
    problems = problems or journeys.link_problems(current_user, [story, *picked])
    if problems:
        form.stories.errors = problems
        return render_journey(form, story=story, options=options, in_journey=in_journey, status=400)
    retry_after = edit_limit_exceeded(current_user)
    if retry_after:
        form.form_errors.append("You have saved many changes in a short time. Wait a few minutes and press Save "
                                "journey again.")
        return answer_later(render_journey(form, story=story, options=options, in_journey=in_journey, status=429),
                            retry_after)
    journeys.link(current_user, [story, *picked], notes={story.id: form.note.data or ""})
    db.session.commit()
    flash(f"Your {exam.STEPS[story.step].label} journey is saved: {len(picked) + 1} attempts linked.", "success")
    return redirect(story_url(story))


def picked_stories(ids: list[int]) -> tuple[list[Story], list[str]]:
    """The stories the boxes name, in one query, or why they cannot be read (too many, or gone)."""
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_PICKED:
        return [], [f"A journey has at most {exam.MAX_ATTEMPT} attempts: pick at most {MAX_PICKED} other stories."]
    if any(not 1 <= i <= loaders.MAX_ID for i in ids):
        return [], ["One of the stories you picked does not exist. Reload the page and pick again."]
    found = list(db.session.scalars(sa.select(Story).where(Story.id.in_(ids)).order_by(Story.id)))
    if len(found) < len(ids):
        return [], ["One of the stories you picked does not exist. Reload the page and pick again."]
    return found, []


def render_journey(form: JourneyForm, *, story: Story, options: list[Story], in_journey: list[Story], status: int):
    picked = {i for i in (form.stories.data or []) if isinstance(i, int)}
    return render_template("stories/journey.html", form=form, story=story, options=options, picked=picked,
                           joining=in_journey if story.journey_id is None else []), status
