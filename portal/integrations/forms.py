"""The Google Calendar card's forms; each one carries a CSRF token."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField
from wtforms.validators import InputRequired

from portal.core.forms import PortalForm
from portal.models import PRIVACY_LEVELS

NEW_CALENDAR = "__new__"

# One line each, from the privacy notes in domain.md.
PRIVACY_EXPLANATIONS = {
    "busy": "Google shows “Coordinoter appointment” and the time, nothing else.",
    "private_title": "Google shows the event title and time, without participant details.",
    "full": "Google shows the title, location and notes (never internal notes or NDIS details).",
}


class DisconnectForm(PortalForm):
    """Disconnect, keeping or removing the events Coordinoter put on Google."""

    remove_events = RadioField(
        "Events Coordinoter copied to Google",
        choices=[
            ("keep", "Keep them in Google Calendar"),
            ("remove", "Remove them from Google Calendar"),
        ],
        default="keep",
        validators=[InputRequired()],
    )


class CalendarForm(PortalForm):
    """Which Google calendar to sync with."""

    calendar_id = RadioField("Sync with", validators=[InputRequired()], validate_choice=False)


class PrivacyForm(PortalForm):
    """How much of each event Google may see."""

    privacy_level = SelectField(
        "What Google sees", choices=list(PRIVACY_LEVELS.items()), validators=[InputRequired()]
    )
    # Sent by the "Yes" of the question asked before Google is shown more.
    confirm = BooleanField(default=False)
