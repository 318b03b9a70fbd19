"""The team's forms: an invite, joining from one, and the buttons that change a member."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.auth.forms import allowed_password
from portal.core.forms import PortalForm
from portal.core.timezones import AUSTRALIAN_ZONES, DEFAULT_ZONE


def strip(value: str | None) -> str | None:
    """Trim what was typed or pasted: a trailing space is not part of an address."""
    return value.strip() if isinstance(value, str) else value


class InviteForm(PortalForm):
    """The colleague's email address."""

    email = EmailField(
        filters=[strip],
        label="Colleague's email",
        validators=[
            DataRequired("Enter an email address."),
            Email("Enter an email address like name@example.com.", check_deliverability=False),
            Length(max=254),
        ],
    )


class JoinForm(PortalForm):
    """What a colleague chooses when joining: name, time zone and password."""

    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=120)])
    time_zone = SelectField("Time zone", choices=AUSTRALIAN_ZONES, default=DEFAULT_ZONE)
    password = PasswordField("Password", validators=[DataRequired(), allowed_password])
    confirm = PasswordField(
        "Confirm password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )


class ButtonForm(PortalForm):
    """A button that changes something (make admin, deactivate, remind): only its CSRF token."""
