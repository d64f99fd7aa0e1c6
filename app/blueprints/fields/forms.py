from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.fields import parse_choices
from app.models import FIELD_KINDS


class FieldForm(FlaskForm):
    label = StringField("Name", validators=[DataRequired(message="Give the field a name."),
                                            Length(max=60)])
    kind = SelectField("Kind", choices=list(FIELD_KINDS.items()), default="text")
    choices = TextAreaField("Choices", description="For a choice field: one per line.",
                            validators=[Length(max=3000)])
    required = BooleanField("Required when a file is added or edited")
    in_list = BooleanField("Shown as a column in the customers list")
    sensitive = BooleanField("Only for roles that see identification numbers "
                             "(stored encrypted; the list cannot filter on it)")

    def validate_choices(self, field):
        if self.kind.data == "choice" and len(parse_choices(field.data)) < 2:
            raise ValidationError("A choice field needs at least two choices.")


class PurgeForm(FlaskForm):
    confirm = StringField("Type the field's name to confirm")
