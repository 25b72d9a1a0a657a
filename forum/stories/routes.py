"""Write, read, edit and delete stories; the listing."""
import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import caching, catalogue, exam, history, loaders, markup, permissions, scales, threads, vote_buttons, votes
from ..caching import cached_page
from ..comments.forms import CommentForm
from ..database import insert_ignoring_duplicates
from ..errors import keeps_input_on_csrf_failure
from ..extensions import db
from ..following import match_new_story
from ..jobs import enqueue
from ..journeys import journey_for, problems_after_edit
from ..models import SavedStory, Story, utcnow
from ..posting_limits import answer_later, edit_limit_exceeded, preview_limit_exceeded, story_limit_exceeded
from ..practice_chart import practice_charts
from ..security import safe_next_url
from ..similar import similar_stories
from ..urls import story_url, user_url
from . import bp, listing, writing
from .forms import BODY_MAX, StoryForm

DRAFT_CLEAR_KEY = "clear_draft"  # session flag: the next story page tells the browser to drop its saved draft


def render_form(form: StoryForm, *, story: Story | None = None, status: int = 200, preview: str | None = None):
    assessments = list(form.assessments.values())
    moderating = story is not None and permissions.edits_as_moderator(current_user, story)
    return render_template("stories/form.html", form=form, story=story, preview=preview, moderating=moderating,
                           resource_names=catalogue.all_resources(), assessments=assessments,
                           steps=exam.STEPS), status


def render_form_later(form: StoryForm, *, story: Story | None = None, retry_after: int, message: str):
    """A 429 that gives the writer everything back, says why, and says when to press again (Retry-After)."""
    form.form_errors.append(message)
    return answer_later(render_form(form, story=story, status=429), retry_after)


def render_preview(form: StoryForm, *, story: Story | None = None):
    """The form with the body rendered, once the checks that keep a preview cheap have passed, all before the
    Markdown is touched: a signed-in member who may post, a body no longer than a story may be, and the member's
    preview allowance. No other field is checked, so a half-written story can be previewed, and a preview never
    spends the story allowance."""
    if not current_user.is_authenticated:
        form.form_errors.append("You were signed out. Sign in in another tab, then press Preview again: "
                                "everything you wrote is still here.")
        return render_form(form, story=story, status=401)
    if not permissions.can_post(current_user):
        form.form_errors.append("Your account is suspended, so this story cannot be previewed. Your text is below.")
        return render_form(form, story=story, status=403)
    body = form.body.data or ""
    if len(body) > BODY_MAX:
        form.body.errors = [f"Write at most {BODY_MAX:,} characters; this is {len(body):,}. Shorten it to "
                            f"preview or publish it."]
        return render_form(form, story=story, status=400)
    retry_after = preview_limit_exceeded(current_user)
    if retry_after:
        return render_form_later(form, story=story, retry_after=retry_after,
                                 message="You have asked for many previews in a short time. Wait a few minutes "
                                         "and press Preview again; your story is kept here.")
    return render_form(form, story=story, preview=markup.render(body))


@bp.route("/stories")
@cached_page(params=listing.PARAMS, members=True)
def index():
    filters = listing.Filters.from_args(request.args)
    page = listing.list_stories(filters)
    resource_options = catalogue.all_resources()
    heading = listing.describe_filters(filters, {r.slug: r.name for r in resource_options})
    return render_template("stories/index.html", page=page, filters=filters, steps=exam.STEPS,
                           resource_options=resource_options, heading=heading)


@bp.route("/stories/new", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
def new():
    """Write a story. Whatever goes wrong after the writer presses Publish, they get their text back."""
    if not current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("auth.login", next=request.path))
    if current_user.is_authenticated and not permissions.can_post(current_user) and request.method == "GET":
        abort(403)
    form = StoryForm(assessments=catalogue.self_assessments(),
                     background=current_user.background if current_user.is_authenticated else "")
    if not form.is_submitted() or g.get("csrf_failed"):
        if g.get("csrf_failed"):
            form.validate()
        return render_form(form, status=400 if g.get("csrf_failed") else 200)
    if form.wants_more_rows():
        return render_form(form)
    if form.preview.data:
        return render_preview(form)
    if not current_user.is_authenticated:
        form.form_errors.append("You were signed out. Sign in in another tab, then press Publish again: "
                                "everything you wrote is still here.")
        return render_form(form, status=401)
    if not form.validate():
        return render_form(form, status=400)
    if not permissions.can_post(current_user):
        form.form_errors.append("Your account is suspended, so this story cannot be published. Your text is below.")
        return render_form(form, status=403)
    existing = find_submitted(form.submission_key.data)
    if existing is not None:
        return redirect(story_url(existing))
    retry_after = story_limit_exceeded(current_user)
    if retry_after:
        return render_form_later(form, retry_after=retry_after,
                                 message="You have posted several stories in a short time. Wait a few minutes and "
                                         "press Publish again; your story is kept here.")
    first = is_first_story(current_user)  # asked before the new row exists (autoflush would count it)
    story = writing.create_story(author=current_user, form=form)
    story.awaiting_review = first
    try:
        db.session.flush()
        writing.refresh_counts_for(story)
        enqueue(match_new_story, story.id)  # who follows its step, resources or a search: after commit
        db.session.commit()
    except IntegrityError:
        # Two presses raced: the other request made the story. Show that one.
        db.session.rollback()
        existing = find_submitted(form.submission_key.data)
        if existing is None:
            raise
        return redirect(story_url(existing))
    session[DRAFT_CLEAR_KEY] = "new"
    flash("Your story is published. Thank you for sharing it.", "success")
    return redirect(story_url(story))


def is_first_story(user) -> bool:
    """A new account's first story goes live and also into the moderators' queue for a look."""
    return db.session.scalar(sa.select(Story.id).where(Story.author_id == user.id).limit(1)) is None


def find_submitted(submission_key: str | None) -> Story | None:
    if not submission_key or not current_user.is_authenticated:
        return None
    return db.session.scalar(sa.select(Story).where(Story.author_id == current_user.id,
                                                    Story.submission_key == submission_key))


@bp.route("/stories/<int:story_id>")
@bp.route("/stories/<int:story_id>-<slug>")
@cached_page(scopes=lambda story_id, slug=None: [caching.story(story_id)], params=("comments",),
             members=True, unless_session=(DRAFT_CLEAR_KEY,))
def show(story_id: int, slug: str | None = None):
    story = loaders.story_or_404(story_id, details=True)
    if story.status != "published" and not permissions.can_see_story(current_user, story):
        # before the slug redirect: the slug is the title, which a removed story no longer shows
        return render_template("stories/gone.html", story=story), 410
    if slug != story.slug:
        return redirect(story_url(story), 301)
    clear_draft = session.pop(DRAFT_CLEAR_KEY, None) if DRAFT_CLEAR_KEY in session else None
    sort = request.args.get("comments", "top")
    sort = sort if sort in threads.COMMENT_SORTS else "top"
    roots, comments = threads.load_thread(story, sort)
    return render_template("stories/show.html", story=story, practice_charts=practice_charts(story),
                           clear_draft=clear_draft, steps=exam.STEPS,
                           roots=roots, comment_total=len(comments), comment_sort=sort,
                           voted=votes.has_voted_story(current_user, story.id),
                           comment_votes=votes.comment_votes_on_story(current_user, story.id),
                           saved=is_saved(story.id),
                           # a form makes a CSRF token, and a token would keep the page out of the anonymous cache
                           comment_form=CommentForm() if permissions.can_comment(current_user, story) else None,
                           record_line=exam.describe_record(step=story.step, exam_month=story.exam_month,
                                                            attempt=story.attempt, outcome=story.outcome,
                                                            score=story.score),
                           passing=exam.passing_score(story.step, story.exam_month),
                           eras=exam.eras(story.step, story.exam_month),
                           similar=similar_stories(story), journey=journey_for(story))


@bp.route("/stories/<int:story_id>/edit", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
def edit(story_id: int):
    story = loaders.story_or_404(story_id, details=True)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    if not permissions.can_edit_story(current_user, story):
        abort(403)
    form = StoryForm(obj=None, assessments=catalogue.self_assessments(), data=None if request.method == "POST"
                     else initial_data(story))
    if request.method == "GET" or g.get("csrf_failed"):
        if g.get("csrf_failed"):
            form.validate()
        return render_form(form, story=story, status=400 if g.get("csrf_failed") else 200)
    if form.wants_more_rows():
        return render_form(form, story=story)
    if form.preview.data:
        return render_preview(form, story=story)
    if not form.validate() or breaks_journey(form, story):
        return render_form(form, story=story, status=400)
    retry_after = edit_limit_exceeded(current_user)
    if retry_after:
        return render_form_later(form, story=story, retry_after=retry_after,
                                 message="You have saved many edits in a short time. Wait a few minutes and press "
                                         "Save changes again; your changes are kept here.")
    moderating = permissions.edits_as_moderator(current_user, story)
    changed = writing.update_story(story=story, form=form, editor=current_user,
                                   reason=(form.reason.data or "") if moderating else "",
                                   hide_replaced=moderating and form.hide_replaced.data)
    db.session.flush()
    writing.refresh_counts_for(story)
    db.session.commit()
    session[DRAFT_CLEAR_KEY] = f"story-edit-{story.id}"
    flash("Your changes are saved." if changed else "Nothing changed, so the story and its history stay as they "
          "were.", "success" if changed else "info")
    return redirect(story_url(story))


def breaks_journey(form: StoryForm, story: Story) -> bool:
    """A linked story's edit must keep its journey within the rules (forum.journeys); the problem goes on the field
    the writer changed."""
    record = form.record
    problems = problems_after_edit(story, step=record["step"], attempt=record["attempt"],
                                   exam_month=record["exam_month"])
    if problems:
        field = form.step if record["step"] != story.step else form.attempt
        field.errors = [*field.errors, *problems]
    return bool(problems)


def initial_data(story: Story) -> dict:
    return {
        "title": story.title, "step": story.step, "exam_month": f"{story.exam_month:%Y-%m}",
        "attempt": str(story.attempt), "outcome": story.outcome,
        "score": "" if story.score is None else str(story.score), "background": story.background or "",
        "prep_weeks": "" if story.prep_weeks is None else str(story.prep_weeks), "body": story.body,
        # catalogue links and the names it does not know yet, in the order the writer gave them
        "resources": [{"name": name, "rating": str(rating or ""), "note": note} for _, name, rating, note in sorted(
            [(link.position, link.resource.name, link.rating, link.note) for link in story.resource_links]
            + [(s.position, s.name, s.rating, s.note) for s in story.resource_suggestions],
            key=lambda row: row[0])] + [{}],
        "practice": [{"assessment": str(p.resource_id), "score": scales.input_text(p.scale, p.score),
                      "taken_on": p.taken_on.isoformat()} for p in story.practice_scores] + [{}],
    }


@bp.route("/stories/<int:story_id>/delete", methods=["POST"])
def delete(story_id: int):
    story = loaders.story_or_404(story_id, details=True, check=permissions.can_delete_story)
    writing.soft_delete(story)
    db.session.flush()
    writing.refresh_counts_for(story)
    db.session.commit()
    flash("Your story is deleted.", "info")
    return redirect(user_url(current_user))


@bp.route("/stories/<int:story_id>/revisions")
def revisions(story_id: int):
    """Every version of the story, newest first: the current one whole, then each kept version as what the edit
    that replaced it changed (forum.history). Not cached: a moderator's hide must take effect on the next read."""
    story = loaders.story_or_404(story_id, details=True)
    if not permissions.can_see_story(current_user, story):
        abort(404)  # a page that is gone to this reader has no history to show either
    current = history.snapshot(story)
    show_hidden = permissions.can_see_hidden_revision(current_user)
    return render_template("stories/revisions.html", story=story, current=history.describe(current),
                           entries=history.timeline(current, history.revisions_of("story", story.id),
                                                    show_hidden=show_hidden),
                           show_hidden=show_hidden, hiding=permissions.can_moderate(current_user))


def is_saved(story_id: int) -> bool:
    if not current_user.is_authenticated:
        return False
    return db.session.scalar(sa.select(sa.literal(True)).where(
        SavedStory.user_id == current_user.id, SavedStory.story_id == story_id)) is not None


@bp.route("/stories/<int:story_id>/vote", methods=["POST"])
def vote(story_id: int):
    story = loaders.story_or_404(story_id)
    up = vote_buttons.wants_up()
    refused = vote_buttons.refusal(story)
    if refused is not None:
        return refused
    count, voted = votes.vote_story(user=current_user, story=story, up=up)
    db.session.commit()
    return vote_buttons.answer(count=count, voted=voted, fallback=story_url(story))


@bp.route("/stories/<int:story_id>/save", methods=["POST"])
def save(story_id: int):
    """Bookmark a story (value=1) or drop the bookmark (value=0); idempotent either way."""
    story = loaders.story_or_404(story_id)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=story_url(story)))
    caching.retire()  # whether you saved it shows only to you, in a hole filled per request
    if vote_buttons.wants_up():
        db.session.execute(insert_ignoring_duplicates(SavedStory, user_id=current_user.id, story_id=story.id,
                                                      created_at=utcnow()))
    else:
        db.session.execute(sa.delete(SavedStory).where(SavedStory.user_id == current_user.id,
                                                       SavedStory.story_id == story.id))
    db.session.commit()
    return redirect(safe_next_url(request.form.get("next")) or story_url(story))
