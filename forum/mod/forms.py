"""Curation forms: feature a story, move or unfeature a card, edit a hub's intro."""
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .. import curation
from ..forms import BaseForm, strip_or_none
from ..models import utcnow

INTRO_MAX = 20_000  # a long page of Markdown; the seed's home intro is about 2,600
REASON_MAX = 500  # the log's column


def reason_field(label: str = "Reason (public, in the moderation log)"):
    return StringField(label, filters=[strip_or_none], validators=[Length(max=REASON_MAX)],
                       description="Optional.")


class FeatureForm(BaseForm):
    hub = SelectField("Show on", choices=[], validators=[DataRequired(message="Choose a hub.")])
    headline = StringField("Headline", filters=[strip_or_none], validators=[Length(max=curation.HEADLINE_MAX)],
                           description="Leave empty to use the story's title.")
    teaser = TextAreaField("Teaser", filters=[strip_or_none], validators=[Length(max=curation.TEASER_MAX)],
                           description="A paragraph under the headline. Leave empty to use the story's "
                                       "opening sentences.")
    expires_on = DateField("Show until", validators=[Optional()],
                           description="Optional. The card drops off after this day (UTC).")
    reason = reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hub.choices = [SelectChoice(slug, curation.hub_name(slug).capitalize()) for slug in curation.HUB_SLUGS]

    def validate_expires_on(self, field):
        if field.data is not None and field.data < utcnow().date():
            raise ValidationError("Choose today or a later day.")


class MoveForm(BaseForm):
    """Sent by the card's "Move up" and "Move down" buttons: the pressed button's name and value."""

    direction = SelectField(choices=[SelectChoice("up", "Up"), SelectChoice("down", "Down")])


class UnfeatureForm(BaseForm):
    reason = reason_field()


class HubIntroForm(BaseForm):
    intro = TextAreaField("Intro (Markdown)", filters=[strip_or_none], validators=[Length(max=INTRO_MAX)],
                          description="Shown at the top of the hub, above the featured stories.")
    reason = reason_field()
