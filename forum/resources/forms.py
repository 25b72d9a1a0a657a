"""Moderators' catalogue forms (the views are in forum/mod/catalogue.py, behind the moderators' door)."""
import re

from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from .. import exam
from ..forms import BaseForm, strip_or_none
from ..models import RESOURCE_KINDS

SCALE_CHOICES = [SelectChoice("", "Not a self-assessment"), SelectChoice("three_digit", "3-digit score"),
                 SelectChoice("percent", "Percent correct")]


class ResourceForm(BaseForm):
    name = StringField("Name", filters=[strip_or_none], validators=[DataRequired(), Length(max=120)])
    slug = StringField("Address", filters=[strip_or_none], validators=[
        DataRequired(), Length(max=80),
        Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$", message="Lowercase letters, digits and -.")],
        description="Used in /resources/<address>.")
    kind = SelectField("Kind", choices=[SelectChoice(k, v) for k, v in RESOURCE_KINDS.items()])
    steps = SelectMultipleField("Steps", choices=[SelectChoice(c, exam.STEPS[c].label) for c in exam.STEP_CODES])
    scale = SelectField("Score scale", choices=SCALE_CHOICES, default="")
    aliases = StringField("Other names", filters=[strip_or_none], validators=[Length(max=500)],
                          description="Comma-separated names people type, like: uw, uworld.")
    description = TextAreaField("Description", filters=[strip_or_none], validators=[Length(max=2000)])

    def alias_list(self) -> list[str]:
        return [a.strip() for a in re.split(r",", self.aliases.data or "") if a.strip()][:30]

    def values(self) -> dict:
        """The keyword arguments of catalogue.save_resource."""
        return {"name": self.name.data, "slug": self.slug.data, "kind": self.kind.data, "steps": self.steps.data or [],
                "scale": self.scale.data or None, "description": self.description.data or "",
                "aliases": self.alias_list()}


class MergeForm(BaseForm):
    target = SelectField("Merge into", choices=[], validators=[DataRequired(message="Choose a resource.")])
    reason = StringField("Reason (public)", filters=[strip_or_none], validators=[
        DataRequired(message="Say why, for the moderation log."), Length(max=500)])
