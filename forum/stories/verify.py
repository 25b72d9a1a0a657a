"""The author's side of a verified outcome: upload a score report for a moderator, or take a pending one back.

The page shows the pending report's name, size and date but never offers the file: an upload is served to
moderators only (forum/mod/verifications.py), so no member's browser ever opens what a member uploaded, the
uploader included (they have the original; the copy here lives only until a moderator decides).
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import IntegrityError

from .. import loaders, permissions, verification
from ..extensions import db
from ..forms import BaseForm
from ..posting_limits import answer_later
from . import bp

UPLOAD_ENDPOINT = "stories.verify"
# The story's own controls (_partials/story_actions.html) link here for the author who may upload.
bp.add_app_template_global(permissions.can_request_verification, "can_request_verification")


class ScoreReportForm(BaseForm):
    report = FileField("Your score report", validators=[FileRequired(message="Choose the file of your score report.")],
                       description=f"PDF, PNG or JPEG, at most {verification.UPLOAD_MAX_BYTES // 2**20} MB. "
                                   "Only moderators can open it, and it is deleted as soon as one has decided.")


@bp.url_value_preprocessor
def allow_score_report_size(endpoint: str | None, _values: dict | None) -> None:
    """The upload may be larger than the site's MAX_CONTENT_LENGTH (1 MiB, sized for stories): raise the limit for
    this one view. URL value preprocessors run before every before_request function, so the CSRF check, which reads
    the body first, already reads it under this limit; a larger body gets the 413 page."""
    if endpoint == UPLOAD_ENDPOINT:
        request.max_content_length = verification.UPLOAD_REQUEST_MAX_BYTES


@bp.route("/stories/<int:story_id>/verify", methods=["GET", "POST"])
def verify(story_id: int):
    """The author's page: the story's verification as it stands, and the upload form when one may be sent."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    story = loaders.story_or_404(story_id)
    if story.author_id != current_user.id or story.status != "published":
        abort(403)
    form = ScoreReportForm()
    if request.method == "GET":
        return render_page(story, form)
    if not permissions.can_request_verification(current_user, story):
        abort(403)
    if not form.validate():
        return render_page(story, form, status=400)
    upload = form.report.data
    content = upload.stream.read(verification.UPLOAD_MAX_BYTES + 1)  # one byte past the limit says "too large"
    try:
        verification.kind_of(content)
    except verification.UploadRefused as refused:
        form.report.errors = [str(refused)]
        return render_page(story, form, status=refused.status)
    retry_after = verification.upload_limit_exceeded(current_user)
    if retry_after:
        form.form_errors.append("You have uploaded several files today. Wait a while and upload it again.")
        return answer_later(render_page(story, form, status=429), retry_after)
    verification.store(story=story, uploader=current_user, filename=upload.filename or "", content=content)
    try:
        db.session.commit()
    except IntegrityError:  # two uploads for one story at the same moment: the other one is kept
        db.session.rollback()
    flash("Thank you. A moderator will compare your score report with the story, then delete it.", "success")
    return redirect(url_for("stories.verify", story_id=story.id))


@bp.route("/stories/<int:story_id>/verify/withdraw", methods=["POST"])
def withdraw_verification(story_id: int):
    """Take a pending report back before a moderator has looked: it holds the uploader's personal data."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("stories.verify", story_id=story_id)))
    story = loaders.story_or_404(story_id, check=permissions.can_withdraw_score_report)
    withdrawn = verification.withdraw(story)
    db.session.commit()
    flash("Your score report is deleted." if withdrawn else "There was no score report waiting.", "info")
    return redirect(url_for("stories.verify", story_id=story.id))


def render_page(story, form: ScoreReportForm, *, status: int = 200):
    return render_template("stories/verify.html", story=story, form=form, report=verification.pending(story.id),
                           may_upload=permissions.can_request_verification(current_user, story),
                           awaiting_result=story.outcome not in permissions.VERIFIABLE_OUTCOMES,
                           max_mb=verification.UPLOAD_MAX_BYTES // 2**20), status
