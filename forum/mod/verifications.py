"""Score reports waiting for a moderator: the queue, the review page, the file itself, and the decision.

The blueprint's guard has already refused everyone but moderators. The file is served as a download (never shown
inline), with nosniff, the type read from its bytes at upload, a CSP that forbids it everything, and no-store.
The decision deletes the report whatever it is (forum/verification.py).
"""
import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import undefer
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import exam, permissions, verification
from ..extensions import db
from ..forms import BaseForm, strip_or_none
from ..loaders import MAX_ID
from ..models import ScoreReport
from . import bp
from .forms import REASON_MAX

QUEUE_SIZE = 200  # oldest first; more than a moderator clears in one sitting
FILE_POLICY = "default-src 'none'; sandbox"  # should a browser render the file anyway, it may run and load nothing


class DecisionForm(BaseForm):
    decision = RadioField("Decision", choices=[
        SelectChoice("verify", "Verified: the report shows this step, exam month, attempt, outcome and score"),
        SelectChoice("reject", "Not verified: it does not match, cannot be read, or is not a score report")],
        validators=[DataRequired(message="Choose verified or not verified.")])
    reason = StringField("Reason (public, in the moderation log)", filters=[strip_or_none], validators=[
        DataRequired(message="Say why: the reason goes in the public moderation log."),
        Length(max=REASON_MAX - len(verification.DELETED_NOTE))])
    seen = HiddenField()


def report_or_404(report_id: int, *, with_content: bool = False) -> ScoreReport:
    """A pending report with its story and uploader; a decided one no longer exists."""
    if not 1 <= report_id <= MAX_ID:
        abort(404)
    query = sa.select(ScoreReport).where(ScoreReport.id == report_id)
    if with_content:
        query = query.options(undefer(ScoreReport.content))
    report = db.session.scalar(query)
    if report is None:
        abort(404, description="This score report was decided on or replaced, and is deleted.")
    return report


@bp.route("/verifications")
def verifications():
    reports = list(db.session.scalars(sa.select(ScoreReport).order_by(ScoreReport.created_at, ScoreReport.id)
                                      .limit(QUEUE_SIZE)))
    return render_template("mod/verifications.html", reports=reports)


@bp.route("/verifications/<int:report_id>")
def review_verification(report_id: int):
    report = report_or_404(report_id)
    return render_review(report, DecisionForm(formdata=None))


@bp.route("/verifications/<int:report_id>/file")
def verification_file(report_id: int):
    report = report_or_404(report_id, with_content=True)
    response = Response(report.content, mimetype=report.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{verification.download_name(report)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/verifications/<int:report_id>/decide", methods=["POST"])
def decide_verification(report_id: int):
    """Verify or not, with a public reason; either way the report is deleted in the same commit."""
    report = report_or_404(report_id)
    story = report.story
    if not permissions.can_decide_verification(current_user, story):
        abort(403)
    form = DecisionForm()
    if not form.validate():
        return render_review(report, form, status=400)
    if form.seen.data != verification.review_token(report):
        form.form_errors.append("The report or the story's record changed since you opened this page. Look at "
                                "them again, then decide.")
        form.seen.data = verification.review_token(report)  # the next press decides on what is shown now
        return render_review(report, form, status=409)
    verified = form.decision.data == "verify"
    if verified and (story.status != "published" or story.outcome not in permissions.VERIFIABLE_OUTCOMES):
        form.form_errors.append("This story is no longer published with a result, so it cannot be verified; "
                                "decide not verified to delete the report.")
        return render_review(report, form, status=409)
    verification.decide(report, verified=verified, actor=current_user, reason=form.reason.data)
    db.session.commit()
    flash(("Verified." if verified else "Not verified.") + " The score report is deleted; the moderation log says "
          "so.", "success")
    return redirect(url_for("mod.verifications"))


def render_review(report: ScoreReport, form: DecisionForm, *, status: int = 200):
    story = report.story
    form.seen.data = form.seen.data or verification.review_token(report)  # a refused form keeps what was seen
    return render_template("mod/verification.html", report=report, story=story, form=form,
                           own=not permissions.can_decide_verification(current_user, story),
                           passing=exam.passing_score(story.step, story.exam_month)), status
