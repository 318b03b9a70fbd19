"""The settings page's two forms: the profile, and a password change."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.auth.forms import allowed_password
from portal.core.forms import PortalForm
from portal.core.timezones import AUSTRALIAN_ZONES
from portal.team.forms import strip


class ProfileForm(PortalForm):
    """Name, email and time zone."""

    name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=120)])
    email = EmailField(
        filters=[strip],
        label="Email",
        validators=[
            DataRequired("Enter your email address."),
            Email("Enter an email address like name@example.com.", check_deliverability=False),
            Length(max=254),
        ],
    )
    time_zone = SelectField("Time zone", choices=AUSTRALIAN_ZONES)


class PasswordForm(PortalForm):
    """The current password, and the new one twice."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    new_password = PasswordField("New password", validators=[DataRequired(), allowed_password])
    confirm = PasswordField(
        "Confirm new password",
        validators=[DataRequired(), EqualTo("new_password", "Passwords differ.")],
    )
