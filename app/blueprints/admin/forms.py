from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.models import ROLES

ROLE_CHOICES = [(r, r.capitalize()) for r in ROLES]


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[
        DataRequired(), Email(message="Enter an email address like name@example.com."),
        Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    password = PasswordField("Password", validators=[
        Optional(), Length(min=10, max=1024, message="Use at least 10 characters.")])
    active = BooleanField("Active", default=True)
