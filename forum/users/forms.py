"""Settings forms: each change that matters asks for the current password."""
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .. import passwords
from ..auth.forms import BACKGROUND_CHOICES, EmailAddress, check_not_common, new_password_field
from ..forms import BaseForm, strip_or_none
from ..models import EMAIL_MODES

BIO_MAX = 2000


def current_password_field(html_id: str) -> PasswordField:
    """Both settings forms ask for it on one page, so each has its own id for its label to point at."""
    return PasswordField("Current password", id=html_id, validators=[
        DataRequired(message="Enter your current password."), Length(max=passwords.MAX_LENGTH)])


class CurrentPasswordMixin:
    current_password = current_password_field("current_password")

    def check_current_password(self, user) -> bool:
        if not passwords.verify_password(user.password_hash, self.current_password.data or ""):
            self.current_password.errors = [*self.current_password.errors, "That is not your current password."]
            return False
        return True


class PasswordChangeForm(CurrentPasswordMixin, BaseForm):
    new_password = new_password_field("New password")

    def validate_new_password(self, field):
        check_not_common(field)


class EmailChangeForm(CurrentPasswordMixin, BaseForm):
    """No check here that the address is free: the page must not tell anyone which addresses have accounts
    (forum.auth.email_change decides by mail)."""

    current_password = current_password_field("email-current_password")
    email = StringField("New email", filters=[strip_or_none], validators=[
        DataRequired(message="Enter the new address."), Length(max=254), EmailAddress()],
        description="We mail a link to it; your address changes when you open the link.")


class ProfileForm(BaseForm):
    background = SelectField("Background", choices=BACKGROUND_CHOICES, default="")
    bio = TextAreaField("About you", filters=[strip_or_none], validators=[
        Length(max=BIO_MAX, message=f"Keep it under {BIO_MAX} characters.")],
        description="Plain text, shown on your profile.")
    email_on_reply = BooleanField("Email me when someone replies to my story or comment")
    email_on_mention = BooleanField("Email me when someone mentions me (@name)")
    follow_mail = SelectField("Email me about what I follow", default="off",
                              choices=[SelectChoice(value, label) for value, label in EMAIL_MODES.items()],
                              description="New stories in the steps, resources and searches you follow, and new "
                                          "comments on the stories you follow.")
