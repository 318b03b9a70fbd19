"""Sign-up and log-in forms."""

from __future__ import annotations

from wtforms import EmailField, Field, Form, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from portal.auth.passwords import password_problem
from portal.core.forms import PortalForm
from portal.core.timezones import AUSTRALIAN_ZONES, DEFAULT_ZONE


def allowed_password(form: Form, field: Field) -> None:
    """WTForms validator: the password rule of auth/passwords.py."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class SignupForm(PortalForm):
    """A new business and its first coordinator."""

    business_name = StringField("Business name", validators=[DataRequired(), Length(max=120)])
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    password = PasswordField("Password", validators=[DataRequired(), allowed_password])
    confirm = PasswordField(
        "Confirm password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    time_zone = SelectField("Time zone", choices=AUSTRALIAN_ZONES, default=DEFAULT_ZONE)


class LoginForm(PortalForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
