"""The follow-up form: works without JS; choices depend on the customer."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from app import clock
from app.web.validators import TextLimit


def _clean(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class FollowUpForm(FlaskForm):
    title = StringField("What to do", filters=[_clean],
                        validators=[DataRequired("Say what to follow up."), Length(max=200)])
    due_on = DateField("Due", default=clock.today,
                       validators=[DataRequired("Give a due date (YYYY-MM-DD).")])
    due_time = TimeField("Time (optional)", validators=[Optional()])
    assignee_id = SelectField("Responsible", coerce=int, default=0)
    invoice_id = SelectField("About invoice", coerce=int, default=0)
    notes = TextAreaField("Notes", validators=[Optional(), TextLimit(10000, "The notes")])
