"""The comment form."""
import re
import secrets

from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm, strip_or_none

COMMENT_MAX = 10_000  # a long reply, not a second story


class CommentForm(BaseForm):
    body = TextAreaField("Your comment", filters=[strip_or_none], validators=[
        DataRequired(message="Write something first."),
        Length(max=COMMENT_MAX, message=f"Keep comments under {COMMENT_MAX:,} characters.")],
        description="Markdown works. Be kind; no recalled exam questions.")
    parent_id = HiddenField()
    submission_key = HiddenField()
    preview = SubmitField("Preview")  # pressed instead of Send: the form comes back with the text rendered

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", self.submission_key.data or ""):
            self.submission_key.data = secrets.token_urlsafe(16)

    def parent(self) -> int | None:
        return int(self.parent_id.data) if re.fullmatch(r"\d{1,12}", self.parent_id.data or "") else None


class EditCommentForm(BaseForm):
    body = CommentForm.body
    preview = CommentForm.preview
