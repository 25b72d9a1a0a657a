"""Comments: post, reply, permalink, edit, delete, vote."""
import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from .. import history, loaders, markup, permissions, threads, vote_buttons, votes
from ..errors import keeps_input_on_csrf_failure
from ..extensions import db
from ..models import Comment, Story
from ..posting_limits import answer_later, comment_limit_exceeded, edit_limit_exceeded, preview_limit_exceeded
from ..urls import story_url
from . import bp
from .forms import CommentForm, EditCommentForm


@bp.route("/comments/<int:comment_id>")
def permalink(comment_id: int):
    """Where a comment lives. Its story's address carries the title (the slug), so a reader who may not see the
    story gets no address either."""
    comment = loaders.comment_or_404(comment_id)
    if not permissions.can_see_story(current_user, comment.story):
        abort(404)
    return redirect(story_url(comment.story, comment_id=comment.id))


PREVIEW_LATER = "You have asked for many previews in a short time. Wait a few minutes and press Preview again; " \
                "your comment is kept here."


def render_comment_form(form: CommentForm, story: Story, parent: Comment | None, status: int,
                        preview: str | None = None):
    return render_template("comments/reply.html", form=form, story=story, parent=parent, preview=preview), status


def preview_of(form: CommentForm | EditCommentForm) -> tuple[str | None, int]:
    """(the body rendered as it would be posted, 0), or (None, seconds to wait) when the member's preview allowance
    (shared with story previews) is spent. Called only once the form is valid and the member may post it; nothing
    is stored."""
    retry_after = preview_limit_exceeded(current_user)
    if retry_after:
        form.form_errors.append(PREVIEW_LATER)
        return None, retry_after
    return markup.render(form.body.data), 0


def parent_in(story: Story, parent_id: int | None) -> Comment | None:
    """The comment a reply answers, with its author (the re-shown reply form quotes them); 400 if it belongs to
    another story. An id that names no comment makes a top-level comment, as before."""
    if parent_id is None:
        return None
    parent = db.session.scalar(sa.select(Comment).where(Comment.id == parent_id)
                               .options(joinedload(Comment.author)))
    if parent is not None and parent.story_id != story.id:
        abort(400)
    return parent


@bp.route("/stories/<int:story_id>/comments", methods=["POST"])
@keeps_input_on_csrf_failure
def create(story_id: int):
    """Post a comment or a reply. On any refusal the text comes back in a form, never lost."""
    story = loaders.story_or_404(story_id)
    if not permissions.can_see_story(current_user, story):
        abort(404)
    form = CommentForm()
    parent = parent_in(story, form.parent())
    if g.get("csrf_failed") or not form.validate():
        return render_comment_form(form, story, parent, 400)
    if not current_user.is_authenticated:
        form.form_errors.append("You were signed out. Sign in in another tab, then send again: your text is here.")
        return render_comment_form(form, story, parent, 401)
    if not permissions.can_comment(current_user, story):
        form.form_errors.append("This story is locked." if story.locked else "You cannot comment here.")
        return render_comment_form(form, story, parent, 403)
    if form.preview.data:
        preview, retry_after = preview_of(form)
        if retry_after:
            return answer_later(render_comment_form(form, story, parent, 429), retry_after)
        return render_comment_form(form, story, parent, 200, preview=preview)
    existing = db.session.scalar(sa.select(Comment).where(Comment.author_id == current_user.id,
                                                          Comment.submission_key == form.submission_key.data))
    if existing is not None:
        return redirect(story_url(story, comment_id=existing.id))
    retry_after = comment_limit_exceeded(current_user)
    if retry_after:
        form.form_errors.append("You are commenting faster than we allow. Wait a little, then send again: "
                                "your comment is kept here.")
        return answer_later(render_comment_form(form, story, parent, 429), retry_after)
    comment = threads.add_comment(story=story, author=current_user, body=form.body.data, parent=parent,
                                  submission_key=form.submission_key.data)
    db.session.commit()
    return redirect(story_url(story, comment_id=comment.id))


@bp.route("/comments/<int:comment_id>/reply")
def reply(comment_id: int):
    """A page with the reply form, so replying works without JavaScript. It quotes the comment and names the
    story, so it is there only while the reader may see the story."""
    parent = loaders.comment_or_404(comment_id)
    if not permissions.can_see_story(current_user, parent.story):
        abort(404)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    form = CommentForm(parent_id=str(parent.id))
    return render_comment_form(form, parent.story, parent, 200)


def render_edit_form(form: EditCommentForm, comment: Comment, status: int, preview: str | None = None):
    return render_template("comments/edit.html", form=form, comment=comment, preview=preview), status


def refuse_edit(comment: Comment):
    """A 403. The author's own edit, refused because the thread was locked (or they were banned) while they typed,
    comes back with the text; anyone else's is a bare refusal."""
    if request.method != "POST" or comment.author_id != current_user.id:
        abort(403)
    form = EditCommentForm()
    form.form_errors.append("This thread is locked: its comments can no longer be edited. Your text is below."
                            if comment.story.locked else "You can no longer edit this comment. Your text is below.")
    return render_edit_form(form, comment, 403)


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
def edit(comment_id: int):
    comment = loaders.comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    if not permissions.can_edit_comment(current_user, comment):
        return refuse_edit(comment)
    form = EditCommentForm(data=None if request.method == "POST" else {"body": comment.body})
    if request.method == "POST" and not g.get("csrf_failed") and form.validate():
        if form.preview.data:
            preview, retry_after = preview_of(form)
            if retry_after:
                return answer_later(render_edit_form(form, comment, 429), retry_after)
            return render_edit_form(form, comment, 200, preview=preview)
        retry_after = edit_limit_exceeded(current_user)
        if retry_after:
            form.form_errors.append("You are editing faster than we allow. Wait a little, then save again: "
                                    "your text is kept here.")
            return answer_later(render_edit_form(form, comment, 429), retry_after)
        threads.edit_comment(comment=comment, body=form.body.data, editor=current_user)
        db.session.commit()
        return redirect(story_url(comment.story, comment_id=comment.id))
    if g.get("csrf_failed"):
        form.validate()
    return render_edit_form(form, comment, 400 if form.errors else 200)


@bp.route("/comments/<int:comment_id>/revisions")
def revisions(comment_id: int):
    """The comment's earlier versions, each as what the edit that replaced it changed (forum.history), shown while
    the comment itself is; hidden versions as on a story's history. Not cached, like the story's."""
    comment = loaders.comment_or_404(comment_id)
    if not permissions.can_see_comment_history(current_user, comment):
        abort(404)
    show_hidden = permissions.can_see_hidden_revision(current_user)
    entries = history.timeline(history.comment_snapshot(comment), history.revisions_of("comment", comment.id),
                               show_hidden=show_hidden)
    return render_template("comments/revisions.html", comment=comment, entries=entries, show_hidden=show_hidden,
                           hiding=permissions.can_moderate(current_user))


@bp.route("/comments/<int:comment_id>/delete", methods=["POST"])
def delete(comment_id: int):
    comment = loaders.comment_or_404(comment_id, check=permissions.can_delete_comment)
    threads.soft_delete_comment(comment)
    db.session.commit()
    flash("Your comment is deleted; replies to it stay.", "info")
    return redirect(story_url(comment.story, comment_id=comment.id))


@bp.route("/comments/<int:comment_id>/vote", methods=["POST"])
def vote(comment_id: int):
    comment = loaders.comment_or_404(comment_id)
    up = vote_buttons.wants_up()
    refused = vote_buttons.refusal(comment)
    if refused is not None:
        return refused
    count, voted = votes.vote_comment(user=current_user, comment=comment, up=up)
    db.session.commit()
    return vote_buttons.answer(count=count, voted=voted, fallback=story_url(comment.story, comment_id=comment.id))
