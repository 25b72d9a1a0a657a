"""What every form in the site shares: input that can't be stored is a field error, never a 500."""
import unicodedata

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import FieldList, FormField, StringField, TextAreaField
from wtforms.widgets import HiddenInput

# Tab, newline and carriage return are text; every other control character (NUL first: PostgreSQL refuses it in
# text columns) is not something a person types.
ALLOWED_CONTROL = {"\t", "\n", "\r"}


def has_forbidden_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in ALLOWED_CONTROL for ch in value)


def strip_or_none(value):
    return value.strip() if isinstance(value, str) else value


def without_forbidden_characters(value: str) -> str:
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cc" or ch in ALLOWED_CONTROL)


def string_fields(form):
    """Every text field of a form, including those inside FieldList and FormField rows."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field:
                yield from string_fields(entry.form) if isinstance(entry, FormField) else string_fields([entry])
        elif isinstance(field, FormField):
            yield from string_fields(field.form)
        elif isinstance(field, (StringField, TextAreaField)):
            yield field


class BaseForm(FlaskForm):
    def hidden_tag(self, *fields) -> Markup:
        """The hidden fields without an id: a page with several forms would repeat id="csrf_token", and nothing
        labels, focuses or scripts a hidden field."""
        chosen = [getattr(self, f, None) if isinstance(f, str) else f for f in fields or self]
        hidden = [f for f in chosen if f is not None and isinstance(f.widget, HiddenInput)]
        return Markup("\n".join(str(field(id=False)) for field in hidden))

    def validate(self, extra_validators=None) -> bool:
        """Validate with control characters taken out first, then report them as a field error.

        Taking them out before the other validators run matters: a `validate_username` that queries PostgreSQL
        with a NUL byte in it would fail with a DataError (a 500) instead of a message.
        """
        tainted = []
        for field in string_fields(self):
            if isinstance(field.data, str) and has_forbidden_characters(field.data):
                field.data = without_forbidden_characters(field.data)
                tainted.append(field)
        ok = super().validate(extra_validators=extra_validators)
        for field in tainted:
            field.errors = [*field.errors, "This contained invisible control characters; we removed them. "
                                           "Check the text and send it again."]
        return ok and not tainted
