"""Account forms. Uniqueness checks live here as validate_<field>, so views stay thin."""
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from .. import passwords
from ..extensions import db
from ..forms import BaseForm, strip_or_none
from ..models import BACKGROUNDS, USERNAME_PATTERN, User, username_fold, username_key

BACKGROUND_CHOICES = [SelectChoice("", "Prefer not to say"),
                      *(SelectChoice(value, label) for value, label in BACKGROUNDS.items())]


def normalise_email(value: str) -> str:
    """The one spelling of an address we store and compare: validated, with the domain and local part lowercased."""
    return validate_email(value, check_deliverability=False).normalized.lower()


class EmailAddress:
    """Field validator that also rewrites the field to its normalised form."""

    def __call__(self, form, field):
        try:
            field.data = normalise_email(field.data or "")
        except EmailNotValidError as error:
            raise ValidationError(f"Enter a valid email address ({error}).") from None


def new_password_field(label: str = "Password") -> PasswordField:
    return PasswordField(label, validators=[
        DataRequired(message="Choose a password."),
        Length(min=passwords.MIN_LENGTH, max=passwords.MAX_LENGTH,
               message=f"Use {passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters."),
    ], description=f"At least {passwords.MIN_LENGTH} characters. A few unrelated words make a strong one.")


def check_not_common(field) -> None:
    if field.data and passwords.is_common(field.data):
        raise ValidationError("This password is on a list of commonly used passwords. Choose another.")


def email_taken(email: str) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.email == email)) is not None


def username_clash(username: str) -> str | None:
    """Why a new account may not take this name, or None: the name itself is taken, or it reads like one that is
    (`dr-okafor` beside `dr_okafor`), which would let one member pass for another. Registration and the CLI ask."""
    key = username_key(username)
    holders = db.session.scalars(sa.select(User.username_key).where(
        sa.or_(User.username_key == key, User.username_fold == username_fold(username)))).all()
    if key in holders:
        return "That username is taken."
    if holders:
        return "That username is too close to an existing name. Choose one that reads differently."
    return None


class RegisterForm(BaseForm):
    username = StringField("Username", filters=[strip_or_none], validators=[
        DataRequired(message="Choose a username."),
        Length(min=3, max=30, message="Use 3 to 30 characters."),
        Regexp(USERNAME_PATTERN, message="Use only letters A-Z, digits, - and _."),
    ], description="3-30 letters, digits, - or _. Shown with everything you post.")
    email = StringField("Email", filters=[strip_or_none], validators=[
        DataRequired(message="Enter your email address."), Length(max=254), EmailAddress(),
    ], description="Only for password resets and the notifications you ask for. Never shown.")
    password = new_password_field()
    background = SelectField("Background", choices=BACKGROUND_CHOICES, default="")

    def validate_username(self, field):
        if clash := username_clash(field.data):
            raise ValidationError(clash)

    def validate_email(self, field):
        if email_taken(field.data):
            raise ValidationError("An account already uses this address. Sign in, or reset your password.")

    def validate_password(self, field):
        check_not_common(field)


class LoginForm(BaseForm):
    login = StringField("Username or email", filters=[strip_or_none], validators=[
        DataRequired(message="Enter your username or email."), Length(max=254),
    ])
    password = PasswordField("Password", validators=[
        DataRequired(message="Enter your password."), Length(max=passwords.MAX_LENGTH),
    ])
    remember = BooleanField("Keep me signed in for 30 days")


class ResetRequestForm(BaseForm):
    email = StringField("Email", filters=[strip_or_none], validators=[
        DataRequired(message="Enter your email address."), Length(max=254), EmailAddress(),
    ])


class ResetPasswordForm(BaseForm):
    password = new_password_field("New password")

    def validate_password(self, field):
        check_not_common(field)
