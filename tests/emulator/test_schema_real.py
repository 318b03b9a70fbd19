"""What real calendars hold (types, invitations, Meet, Gmail) still matches the discovery doc."""

from __future__ import annotations

import pytest
import requests
from googleapiclient.errors import HttpError

from .helpers import USER, calendar_service, credentials, get_tokens, timed
from .test_schema import RESPONSE_SCHEMAS, recorded, violations

__all__ = ["recorded"]

DAY = {"start": {"date": "2025-06-10"}, "end": {"date": "2025-06-11"}}


def _control(url: str, path: str, body: dict) -> dict:
    resp = requests.post(f"{url}/_emulator/calendars/{USER}/{path}", json=body, timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _session(url: str) -> None:
    service = calendar_service(url, credentials(url, get_tokens(url)))
    events = service.events()
    events.insert(calendarId="primary", body={**DAY, "eventType": "birthday"}).execute()
    ooo = events.insert(
        calendarId="primary",
        body=timed(
            "2025-06-03T09:00:00",
            "2025-06-03T17:00:00",
            eventType="outOfOffice",
            outOfOfficeProperties={"autoDeclineMode": "declineNone", "declineMessage": "Away"},
        ),
    ).execute()
    events.insert(
        calendarId="primary",
        body=timed(
            "2025-06-04T09:00:00",
            "2025-06-04T10:00:00",
            eventType="focusTime",
            focusTimeProperties={"chatStatus": "doNotDisturb"},
        ),
    ).execute()
    events.insert(
        calendarId="primary",
        body={
            **DAY,
            "eventType": "workingLocation",
            "workingLocationProperties": {
                "type": "customLocation",
                "customLocation": {"label": "Client home"},
            },
        },
    ).execute()
    events.insert(
        calendarId="primary",
        conferenceDataVersion=1,
        body=timed(
            "2025-06-02T10:00:00",
            "2025-06-02T11:00:00",
            description="<b>Hi</b>&nbsp;<br>",
            conferenceData={
                "createRequest": {
                    "requestId": "r1",
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                }
            },
        ),
    ).execute()
    invite = _control(
        url,
        "invitations",
        timed("2025-06-05T10:00:00", "2025-06-05T11:00:00", organizer={"email": "x@example.org"}),
    )
    _control(
        url,
        "google-events",
        {
            "eventType": "fromGmail",
            "summary": "Flight",
            "start": {"dateTime": "2025-06-06T07:00:00+10:00"},
            "end": {"dateTime": "2025-06-06T08:00:00+10:00"},
        },
    )
    events.patch(
        calendarId="primary",
        eventId=invite["id"],
        body={"attendees": [{"email": USER, "responseStatus": "declined"}]},
    ).execute()
    events.list(calendarId="primary").execute()
    for request in (
        events.patch(calendarId="primary", eventId=ooo["id"], body={"eventType": "default"}),
        events.patch(calendarId="primary", eventId=invite["id"], body={"guestsCanModify": True}),
    ):
        with pytest.raises(HttpError):
            request.execute()


def test_real_calendar_answers_match_the_discovery_document(recorded):
    server, bodies = recorded
    start = len(bodies)
    _session(server.url)
    problems: list[str] = []
    seen: set[str] = set()
    for method, status, body in bodies[start:]:
        if method is None or not method.startswith("calendar."):
            continue
        name = "ErrorEnvelope" if status >= 400 else RESPONSE_SCHEMAS.get(method)
        if name is None:
            continue
        seen.add(name)
        problems += [f"{method} {status}: {p}" for p in violations(body, {"$ref": name})]
    assert problems == []
    assert {"Event", "Events", "ErrorEnvelope"} <= seen
