"""Demo seed data: the portal's demo client and a coordinator with a few events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from . import conference, timefmt
from .state import EmulatorState

DEMO_CLIENT_ID = "coordinoter-demo.apps.googleusercontent.com"
DEMO_CLIENT_SECRET = "coordinoter-demo-secret"
DEMO_REDIRECT_URIS = [
    "http://localhost:5000/google/callback",
    "http://127.0.0.1:5000/google/callback",
]
DEMO_USER = "coordinator@example.com"
DEMO_NAME = "Casey Coordinator"
DEMO_TZ = "Australia/Sydney"


def _at(day: datetime, hour: int, minute: int = 0) -> str:
    return day.replace(hour=hour, minute=minute).strftime("%Y-%m-%dT%H:%M:%S")


def seed(state: EmulatorState, redirect_uris: Sequence[str] = ()) -> None:
    """Add the demo client (registered for the default and the given redirect URIs), the demo
    user and events (events only when the calendar is empty)."""
    uris = list(dict.fromkeys([*DEMO_REDIRECT_URIS, *redirect_uris]))
    state.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, uris, "Coordinoter (demo)")
    state.add_user(DEMO_USER, DEMO_NAME, DEMO_TZ)
    if state.list_events(DEMO_USER, include_deleted=True):
        return
    today = (
        timefmt.utcnow()
        .astimezone(timefmt.zone(DEMO_TZ))
        .replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    )
    dentist = today + timedelta(days=1)
    lunch = today + timedelta(days=2)
    offsite = today + timedelta(days=4)
    state.user_insert_event(
        DEMO_USER,
        {
            "summary": "Dentist appointment",
            "location": "Smile Dental, 12 George St, Sydney",
            "description": "Personal. Check-up and clean.",
            "start": {"dateTime": _at(dentist, 9, 30), "timeZone": DEMO_TZ},
            "end": {"dateTime": _at(dentist, 10, 30), "timeZone": DEMO_TZ},
            "visibility": "private",
        },
    )
    state.user_insert_event(
        DEMO_USER,
        {
            "summary": "Team lunch",
            "location": "The Grounds, Alexandria",
            "start": {"dateTime": _at(lunch, 12, 30), "timeZone": DEMO_TZ},
            "end": {"dateTime": _at(lunch, 13, 30), "timeZone": DEMO_TZ},
        },
    )
    state.user_insert_event(
        DEMO_USER,
        {
            "summary": "NDIS provider expo",
            "description": "All-day event at the convention centre.",
            "start": {"date": offsite.date().isoformat()},
            "end": {"date": (offsite + timedelta(days=1)).date().isoformat()},
            "transparency": "transparent",
        },
    )
    _real_calendar(state, today)


def _real_calendar(state: EmulatorState, today: datetime) -> None:
    """What real calendars hold: Meet telehealth, an invitation, out of office, a birthday."""
    visit, invite, away, bday = (today + timedelta(days=n) for n in (1, 3, 5, 6))
    state.user_insert_event(
        DEMO_USER,
        {
            "summary": "Telehealth: plan review with Jo",
            "description": "<b>Plan review</b><br>Bring the goals &amp; the "
            '<a href="https://example.org/plan">care plan</a>'
            "<ul><li>Supports</li><li>Budget</li></ul>",
            "start": {"dateTime": _at(visit, 14), "timeZone": DEMO_TZ},
            "end": {"dateTime": _at(visit, 14, 45), "timeZone": DEMO_TZ},
            "conferenceData": conference.meet(),
        },
    )
    state.invite(
        DEMO_USER,
        {
            "summary": "Case conference: Jo's support team",
            "organizer": {"email": "dr.lee@clinic.example", "displayName": "Dr Lee"},
            "location": "Allied Health Clinic, Parramatta",
            "start": {"dateTime": _at(invite, 11), "timeZone": DEMO_TZ},
            "end": {"dateTime": _at(invite, 12), "timeZone": DEMO_TZ},
        },
    )
    state.user_insert_event(
        DEMO_USER,
        {
            "summary": "Out of office",
            "eventType": "outOfOffice",
            "start": {"dateTime": _at(away, 13), "timeZone": DEMO_TZ},
            "end": {"dateTime": _at(away, 17), "timeZone": DEMO_TZ},
            "outOfOfficeProperties": {
                "autoDeclineMode": "declineOnlyNewConflictingInvitations",
                "declineMessage": "Out this afternoon.",
            },
        },
    )
    state.user_insert_event(
        DEMO_USER,
        {
            "summary": "Sam's birthday",
            "eventType": "birthday",
            "start": {"date": bday.date().isoformat()},
            "end": {"date": (bday + timedelta(days=1)).date().isoformat()},
        },
    )
