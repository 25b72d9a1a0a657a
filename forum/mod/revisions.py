"""Redactions: a moderator hides an earlier version of a story or comment (a recalled exam question, someone's
personal data) from everyone but moderators, or shows it again.

The blueprint's guard has already refused everyone but moderators. The reason is required: it goes in the public
log, which names the version by number only.
"""
import sqlalchemy as sa
from flask import abort, flash, redirect, url_for
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..extensions import db
from ..forms import BaseForm, strip_or_none
from ..loaders import MAX_ID
from ..models import Revision
from ..stories import writing
from . import bp
from .forms import REASON_MAX


class RevisionForm(BaseForm):
    reason = StringField("Reason (public, in the moderation log)", filters=[strip_or_none], validators=[
        DataRequired(message="Say why: the reason goes in the public moderation log."), Length(max=REASON_MAX)])


# Where each kind of item shows its versions: the moderator goes back there after a hide.
HISTORY_PAGES = {
    "story": lambda item_id: url_for("stories.revisions", story_id=item_id),
    "comment": lambda item_id: url_for("comments.revisions", comment_id=item_id),
}


def revision_or_404(revision_id: int) -> Revision:
    """A kept version of a story or a comment."""
    if not 1 <= revision_id <= MAX_ID:
        abort(404)
    revision = db.session.scalar(sa.select(Revision).where(Revision.id == revision_id,
                                                           Revision.item_type.in_(tuple(HISTORY_PAGES))))
    if revision is None:
        abort(404)
    return revision


@bp.route("/revisions/<int:revision_id>/<any(hide, unhide):action>", methods=["POST"])
def revision_visibility(revision_id: int, action: str):
    """Hide a version from readers, or show it again; either way logged with the reason."""
    revision = revision_or_404(revision_id)
    back = HISTORY_PAGES[revision.item_type](revision.item_id) + f"#revision-{revision.id}"
    form = RevisionForm()
    if not form.validate():
        flash(" ".join(error for errors in form.errors.values() for error in errors), "error")
        return redirect(back)
    if revision.is_hidden == (action == "hide"):
        flash(f"That version is already {'hidden' if revision.is_hidden else 'shown'}.", "info")
        return redirect(back)
    change = writing.hide_revision if action == "hide" else writing.unhide_revision
    change(revision, actor=current_user, reason=form.reason.data)
    db.session.commit()
    flash("Hidden from readers. It is in the moderation log." if action == "hide"
          else "Shown to readers again. It is in the moderation log.", "success")
    return redirect(back)
