from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me logged in on this computer")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[
        DataRequired(), Length(min=10, max=1024,
                               message="Use at least 10 characters.")])
    confirm = PasswordField("Repeat new password", validators=[
        DataRequired(), EqualTo("new", message="The two passwords differ.")])
