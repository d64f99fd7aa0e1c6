from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField("Keep me logged in on this computer")


def _long_enough(form, field) -> None:
    least = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(field.data or "") < least:
        raise ValidationError(f"Use at least {least} characters.")


class NewPasswordForm(FlaskForm):
    """Choosing a password: after an invitation, a reset, or in one's account."""
    new = PasswordField("New password", validators=[DataRequired(), _long_enough,
                                                    Length(max=1024)])
    confirm = PasswordField("Repeat new password", validators=[
        DataRequired(), EqualTo("new", message="The two passwords differ.")])


class PasswordForm(NewPasswordForm):
    current = PasswordField("Current password", validators=[DataRequired()])


class ForgotForm(FlaskForm):
    email = EmailField("Email", validators=[
        DataRequired(), Email(message="Enter an email address like name@example.com."),
        Length(max=254)])
