"""The UI's forms for invitations, special types, Meet and lost calendars."""

from __future__ import annotations

import requests

from .helpers import USER

FIELDS = {
    "summary": "Case conference",
    "start": "2025-06-02T10:00",
    "end": "2025-06-02T11:00",
    "time_zone": "Australia/Sydney",
}


def _post(emulator, path, data):
    resp = requests.post(emulator.url + path, data=data, allow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    assert "error=" not in resp.headers["Location"], resp.headers["Location"]


def test_invitation_answer_and_organiser_change_from_the_ui(emulator):
    _post(
        emulator,
        f"/ui/calendars/{USER}/invitations",
        {**FIELDS, "organizer_email": "dr.lee@clinic.example", "organizer_name": "Dr Lee"},
    )
    (event,) = emulator.state.list_events(USER)
    assert event["organizer"] == {"email": "dr.lee@clinic.example", "displayName": "Dr Lee"}
    _post(emulator, f"/ui/calendars/{USER}/events/{event['id']}/respond", {"response": "declined"})
    mine = next(
        a for a in emulator.state.get_event(USER, event["id"])["attendees"] if a.get("self")
    )
    assert mine["responseStatus"] == "declined"
    _post(
        emulator,
        f"/ui/calendars/{USER}/events/{event['id']}/as-organizer",
        {**FIELDS, "summary": "Moved by Dr Lee"},
    )
    assert emulator.state.get_event(USER, event["id"])["summary"] == "Moved by Dr Lee"
    edit = requests.get(f"{emulator.url}/ui/calendars/{USER}/events/{event['id']}/edit", timeout=10)
    assert "Save as the organiser" in edit.text


def test_special_types_and_meet_from_the_ui(emulator):
    _post(
        emulator,
        f"/ui/calendars/{USER}/events",
        {**FIELDS, "summary": "Away", "event_type": "outOfOffice"},
    )
    _post(emulator, f"/ui/calendars/{USER}/events", {**FIELDS, "summary": "Call", "meet": "1"})
    kinds = {e["summary"]: e for e in emulator.state.list_events(USER)}
    assert kinds["Away"]["eventType"] == "outOfOffice"
    assert kinds["Call"]["hangoutLink"].startswith("https://meet.google.com/")


def test_deleting_a_calendar_from_the_ui(emulator):
    cal_id = emulator.state.add_calendar(USER, "Work")
    _post(emulator, f"/ui/calendars/{cal_id}/remove", {"how": "deleted"})
    assert cal_id not in [c.id for c in emulator.state.calendars_of(USER)]
