"""The event dialog for Google's own kinds of event: what Google holds, and what may change.

An invitation's title, time and place are its organiser's, and each special event type locks
fields of its own (portal/google/sync/kinds.py). This dialog shows those as Google has them
and offers only the changes Google takes, plus the portal's own fields (type, participant,
internal notes, status), which never leave the portal.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from markupsafe import Markup
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.calendar.description import description_text, render_description
from portal.calendar.forms import (
    INTERNAL_NOTES_LABEL,
    TEXT_LIMIT,
    check_participant,
    participant_choices,
)
from portal.calendar.operations import EventData
from portal.calendar.timeutil import to_local
from portal.core.forms import PortalForm
from portal.core.timezones import format_time
from portal.google.sync import kinds
from portal.models import EVENT_STATUSES, EVENT_TYPES, Event, Participant

# Why a field cannot be changed here, per kind, in the coordinator's words.
LOCKED_BECAUSE = {
    kinds.INVITATION: "Its organiser sets the title, time and place; Google keeps theirs.",
    "out_of_office": "Change its time in Google Calendar, where its decline settings live.",
    "focus_time": "Change its time in Google Calendar, where its settings live.",
    "working_location": "Google Calendar sets where you work; change it there.",
    "birthday": "Google Contacts keeps the date.",
    "from_gmail": "Gmail added it from an email; Google lets nobody change its details.",
}


class GoogleEventForm(PortalForm):
    """The changes Google takes for one of its special events, and the portal's own fields."""

    title = StringField(
        "Title", validators=[DataRequired("Give the event a title."), Length(max=200)]
    )
    event_type = SelectField("Type", choices=list(EVENT_TYPES.items()), default="other")
    participant_id = SelectField("Participant", choices=[], validate_choice=False, default="")
    internal_notes = TextAreaField(INTERNAL_NOTES_LABEL, validators=[Length(max=TEXT_LIMIT)])
    status = SelectField("Status", choices=list(EVENT_STATUSES.items()), default="scheduled")
    cancel_reason = StringField("Reason for cancelling", validators=[Length(max=500)])

    def __init__(self, participants: list[Participant], event: Event, *args, **kwargs) -> None:
        """A title input only where Google lets the title change."""
        super().__init__(*args, **kwargs)
        self.participant_id.choices = participant_choices(participants)
        if "title" not in kinds.changeable(event):
            del self.title

    def validate_participant_id(self, field) -> None:
        """Only a participant of this business (or none)."""
        check_participant(field)

    def validate(self, extra_validators=None) -> bool:
        """Field checks, and a reason when the status is cancelled."""
        super().validate(extra_validators)
        if self.status.data == "cancelled" and not (self.cancel_reason.data or "").strip():
            self.cancel_reason.errors.append("Say why it was cancelled.")
        return not self.errors

    def to_data(self, event: Event) -> EventData:
        """The event as it is, with what this form may change changed."""
        cancelled = self.status.data == "cancelled"
        return replace(
            EventData.of(event),
            title=self.title.data.strip() if "title" in self else event.title,
            event_type=self.event_type.data,
            participant_id=int(self.participant_id.data) if self.participant_id.data else None,
            internal_notes=self.internal_notes.data or "",
            status=self.status.data,
            cancel_reason=(self.cancel_reason.data or "").strip() if cancelled else "",
        )


def initial_for_google_event(event: Event) -> dict:
    """The form's values for an event as it is."""
    return {
        "title": event.title,
        "event_type": event.event_type,
        "participant_id": str(event.participant_id or ""),
        "internal_notes": event.internal_notes,
        "status": event.status,
        "cancel_reason": event.cancel_reason,
    }


def google_facts(event: Event, zone_name: str) -> dict:
    """What the dialog shows of Google's copy: kind, organiser, when, answer, join link."""
    details = event.google_details or {}
    organizer = details.get("organizer") or {}
    return {
        "label": kinds.label(event),
        "organizer": organizer.get("name") or organizer.get("email") or "",
        "organizer_email": organizer.get("email") or "",
        "when": when_text(event, zone_name),
        "answer": kinds.RESPONSES.get(event.response_status or "needsAction"),
        "answers": [(k, v) for k, v in kinds.RESPONSES.items() if k != "needsAction"],
        "can_answer": kinds.can_answer(event),
        "can_delete": kinds.can_delete(event),
        "conference": details.get("conference"),
        "working_location": details.get("working_location"),
        "description": render_description(event.notes or ""),
        "locked": LOCKED_BECAUSE.get(event.google_kind, ""),
    }


def when_text(event: Event, zone_name: str) -> str:
    """An event's time in words, in the viewer's zone (all-day events by their days)."""
    if event.all_day:
        last = event.end_date - timedelta(days=1)
        first = f"{event.start_date:%a %-d %b %Y}"
        return first if last == event.start_date else f"{first} to {last:%a %-d %b %Y}"
    start, end = to_local(event.start_at, zone_name), to_local(event.end_at, zone_name)
    # Times as coordinators read them everywhere: 9:00 am–10:00 am.
    return f"{start:%a %-d %b %Y}, {format_time(start)}–{format_time(end)}"


def keep_description(event: Event | None, data: EventData) -> EventData:
    """Google's HTML description kept when the coordinator left its text as it was shown."""
    # Browsers send a textarea's line breaks as CRLF.
    typed = data.notes.replace("\r\n", "\n")
    if event is not None and typed == description_text(event.notes or ""):
        return replace(data, notes=event.notes or "")
    return data


def description_preview(event: Event | None) -> Markup:
    """The formatted description above the notes input, when Google's is HTML."""
    if event is None or description_text(event.notes or "") == (event.notes or ""):
        return Markup("")
    return render_description(event.notes)
