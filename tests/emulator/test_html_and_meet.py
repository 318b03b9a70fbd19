"""HTML descriptions as Google Calendar's editor writes them, and Meet conference data."""

from __future__ import annotations

import requests

from .helpers import USER, timed

EDITOR_HTML = (
    "<b>Telehealth</b> with Jo&nbsp;Smith<br>Bring the plan &amp; notes<br>"
    '<a href="https://example.org/plan?a=1&amp;b=2">Care plan</a>'
    "<ul><li>Meds review</li><li>Goals</li></ul>"
)
MEET = {
    "entryPoints": [
        {
            "entryPointType": "video",
            "uri": "https://meet.google.com/abc-defg-hij",
            "label": "meet.google.com/abc-defg-hij",
        }
    ],
    "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
    "conferenceId": "abc-defg-hij",
}


def test_html_descriptions_come_back_as_written(emulator, service):
    made = (
        service.events()
        .insert(
            calendarId="primary",
            body=timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", description=EDITOR_HTML),
        )
        .execute()
    )
    assert made["description"] == EDITOR_HTML
    listed = service.events().list(calendarId="primary").execute()["items"]
    assert listed[0]["description"] == EDITOR_HTML
    raw = requests.get(
        f"{emulator.url}/_emulator/calendars/{USER}/events/{made['id']}", timeout=10
    ).json()
    assert raw["description"] == EDITOR_HTML


def test_meet_links_set_in_google_come_back_in_get_and_list(emulator, service):
    resp = requests.post(
        f"{emulator.url}/_emulator/calendars/{USER}/events",
        json=timed(
            "2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="Telehealth", conferenceData=MEET
        ),
        timeout=10,
    )
    event_id = resp.json()["id"]
    got = service.events().get(calendarId="primary", eventId=event_id).execute()
    assert got["hangoutLink"] == "https://meet.google.com/abc-defg-hij"
    assert got["conferenceData"]["entryPoints"][0]["uri"] == got["hangoutLink"]
    listed = service.events().list(calendarId="primary").execute()["items"][0]
    assert listed["hangoutLink"] == got["hangoutLink"]
    # A client without conferenceDataVersion=1 cannot drop or change it, even with a PUT.
    service.events().patch(
        calendarId="primary", eventId=event_id, body={"conferenceData": None, "summary": "Renamed"}
    ).execute()
    put = (
        service.events()
        .update(
            calendarId="primary",
            eventId=event_id,
            body=timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="Put"),
        )
        .execute()
    )
    assert put["hangoutLink"] == got["hangoutLink"]


def test_conference_data_version_1_creates_and_removes_meet(service):
    made = (
        service.events()
        .insert(
            calendarId="primary",
            conferenceDataVersion=1,
            body=timed(
                "2025-06-02T10:00:00",
                "2025-06-02T11:00:00",
                conferenceData={
                    "createRequest": {
                        "requestId": "req-1",
                        "conferenceSolutionKey": {"type": "hangoutsMeet"},
                    }
                },
            ),
        )
        .execute()
    )
    assert made["hangoutLink"].startswith("https://meet.google.com/")
    assert made["conferenceData"]["createRequest"]["status"] == {"statusCode": "success"}
    ignored = (
        service.events()
        .insert(
            calendarId="primary",
            body=timed("2025-06-02T12:00:00", "2025-06-02T13:00:00", conferenceData=MEET),
        )
        .execute()
    )
    assert "conferenceData" not in ignored and "hangoutLink" not in ignored
    gone = (
        service.events()
        .patch(
            calendarId="primary",
            eventId=made["id"],
            conferenceDataVersion=1,
            body={"conferenceData": None},
        )
        .execute()
    )
    assert "hangoutLink" not in gone and "conferenceData" not in gone
