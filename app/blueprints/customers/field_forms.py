"""Inputs for the office's own fields, added to a form class at request time (the fields
are data, not code): the file's "More details" section and the new-customer form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from app import fields as custom_fields
from app.models import CustomField


class _Check:
    """Parses the input as the field's kind; required fields refuse an empty one."""

    def __init__(self, field: CustomField):
        self.field = field

    def __call__(self, form, input_):
        text = (input_.data or "").strip()
        if not text:
            if self.field.required:
                raise ValidationError(f"{self.field.label} is required.")
            input_.parsed = None
            return
        try:
            input_.parsed = custom_fields.parse(self.field, text)
        except custom_fields.FieldError as exc:
            raise ValidationError(str(exc)) from None


def _input(field: CustomField):
    check = [_Check(field)]
    if field.kind == "choice":
        return SelectField(field.label, choices=[("", "—")] + [(c, c) for c in field.choices],
                           validators=check, validate_choice=False)
    if field.kind == "yesno":
        return SelectField(field.label, choices=[("", "—"), ("yes", "Yes"), ("no", "No")],
                           validators=check, validate_choice=False)
    hint = {"date": f"For example {custom_fields.example_date()}",
            "number": "A number"}.get(field.kind)
    return StringField(field.label, validators=check, description=hint or "")


def with_fields(base: type, fields: list[CustomField]) -> type:
    """`base` with one input per field, named by the field's key ("f12")."""
    attrs = {f.key: _input(f) for f in fields}
    return type(f"{base.__name__}WithFields", (base,), attrs)


class OwnFieldsForm(FlaskForm):
    """The file's "More details" section (its inputs are added per request)."""


def parsed_values(form, fields: list[CustomField]) -> dict[CustomField, object]:
    """{field: parsed value} from a validated form."""
    return {f: getattr(form[f.key], "parsed", None) for f in fields}
