"""Comments: post, reply, permalink, edit, delete, vote."""
import sqlalchemy as sa
from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from .. import loaders, permissions, threads, vote_buttons, votes
from ..errors import keeps_input_on_csrf_failure
from ..extensions import db
from ..models import Comment, Story
from ..posting_limits import comment_limit_exceeded
from ..urls import story_url
from . import bp
from .forms import CommentForm, EditCommentForm


@bp.route("/comments/<int:comment_id>")
def permalink(comment_id: int):
    comment = loaders.comment_or_404(comment_id)
    return redirect(story_url(comment.story, comment_id=comment.id))


def render_comment_form(form: CommentForm, story: Story, parent: Comment | None, status: int):
    return render_template("comments/reply.html", form=form, story=story, parent=parent), status


@bp.route("/stories/<int:story_id>/comments", methods=["POST"])
@keeps_input_on_csrf_failure
def create(story_id: int):
    """Post a comment or a reply. On any refusal the text comes back in a form, never lost."""
    story = loaders.story_or_404(story_id)
    if story.status == "removed":
        abort(404)
    form = CommentForm()
    parent = db.session.get(Comment, form.parent()) if form.parent() else None
    if parent is not None and parent.story_id != story.id:
        abort(400)
    if g.get("csrf_failed") or not form.validate():
        return render_comment_form(form, story, parent, 400)
    if not current_user.is_authenticated:
        form.form_errors.append("You were signed out. Sign in in another tab, then send again: your text is here.")
        return render_comment_form(form, story, parent, 401)
    if not permissions.can_comment(current_user, story):
        form.form_errors.append("This story is locked." if story.locked else "You cannot comment here.")
        return render_comment_form(form, story, parent, 403)
    existing = db.session.scalar(sa.select(Comment).where(Comment.author_id == current_user.id,
                                                          Comment.submission_key == form.submission_key.data))
    if existing is not None:
        return redirect(story_url(story, comment_id=existing.id))
    retry_after = comment_limit_exceeded(current_user)
    if retry_after:
        form.form_errors.append("You are commenting faster than we allow. Wait a little, then send again: "
                                "your comment is kept here.")
        response = make_response(render_comment_form(form, story, parent, 429))
        response.headers["Retry-After"] = str(retry_after)
        return response
    comment = threads.add_comment(story=story, author=current_user, body=form.body.data, parent=parent,
                                  submission_key=form.submission_key.data)
    db.session.commit()
    return redirect(story_url(story, comment_id=comment.id))


@bp.route("/comments/<int:comment_id>/reply")
def reply(comment_id: int):
    """A page with the reply form, so replying works without JavaScript."""
    parent = loaders.comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    form = CommentForm(parent_id=str(parent.id))
    return render_comment_form(form, parent.story, parent, 200)


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@keeps_input_on_csrf_failure
def edit(comment_id: int):
    comment = loaders.comment_or_404(comment_id)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    if not permissions.can_edit_comment(current_user, comment):
        abort(403)
    form = EditCommentForm(data=None if request.method == "POST" else {"body": comment.body})
    if request.method == "POST" and not g.get("csrf_failed") and form.validate():
        threads.edit_comment(comment=comment, body=form.body.data, editor=current_user)
        db.session.commit()
        return redirect(story_url(comment.story, comment_id=comment.id))
    if g.get("csrf_failed"):
        form.validate()
    return render_template("comments/edit.html", form=form, comment=comment), 400 if form.errors else 200


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
