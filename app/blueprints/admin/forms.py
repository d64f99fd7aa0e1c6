from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.models import ROLES
from app.permissions import LEAST_ROLE

ROLE_CHOICES = [(r, r.capitalize()) for r in ROLES]


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[
        DataRequired(), Email(message="Enter an email address like name@example.com."),
        Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    # The least powerful role unless the admin chooses more.
    role = SelectField("Role", choices=ROLE_CHOICES, default=LEAST_ROLE)


class UserForm(InviteForm):
    password = PasswordField("Password", validators=[
        Optional(), Length(min=10, max=1024, message="Use at least 10 characters.")])
    active = BooleanField("Active", default=True)
