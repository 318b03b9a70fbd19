"""The forgotten-password forms: the address to send a link to, and the new password."""

from __future__ import annotations

from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.auth.forms import allowed_password
from portal.core.forms import PortalForm


class ForgotForm(PortalForm):
    """The address of the account whose password was forgotten."""

    email = EmailField(
        "Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )


class ResetForm(PortalForm):
    """A new password, twice."""

    password = PasswordField("New password", validators=[DataRequired(), allowed_password])
    confirm = PasswordField(
        "Confirm new password",
        validators=[DataRequired(), EqualTo("password", "Passwords differ.")],
    )
