"""Events stored as given (`raw-events`): data the API itself would refuse, listed like any."""

from __future__ import annotations

import pytest
import requests
from googleapiclient.errors import HttpError

from .helpers import USER, error_reason

NO_END = {"summary": "Old import", "start": {"dateTime": "2025-06-02T10:00:00+10:00"}}


def _store(emulator, body: dict) -> requests.Response:
    return requests.post(
        f"{emulator.url}/_emulator/calendars/{USER}/raw-events", json=body, timeout=10
    )


def test_an_event_the_api_refuses_is_stored_as_given_and_listed(emulator, service):
    events = service.events()
    with pytest.raises(HttpError) as refused:
        events.insert(calendarId="primary", body=NO_END).execute()
    assert error_reason(refused.value)[0] == 400

    stored = _store(emulator, NO_END)

    assert stored.status_code == 201
    item = stored.json()
    assert "end" not in item and item["start"] == NO_END["start"]
    assert item["id"] and item["etag"] and item["updated"] and item["status"] == "confirmed"
    listed = events.list(calendarId="primary", timeMin="2025-06-01T00:00:00Z").execute()
    assert [(i["id"], "end" in i) for i in listed["items"]] == [(item["id"], False)]
    assert events.get(calendarId="primary", eventId=item["id"]).execute()["etag"] == item["etag"]


def test_a_stored_event_reaches_the_next_incremental_sync(emulator, service):
    events = service.events()
    token = events.list(calendarId="primary").execute()["nextSyncToken"]

    item = _store(emulator, {**NO_END, "id": "rawevent001"}).json()

    changed = events.list(calendarId="primary", syncToken=token).execute()["items"]
    assert [i["id"] for i in changed] == ["rawevent001"] == [item["id"]]


def test_a_stored_event_needs_a_free_id_and_a_known_calendar(emulator):
    assert _store(emulator, {**NO_END, "id": "rawevent002"}).status_code == 201
    assert _store(emulator, {**NO_END, "id": "rawevent002"}).status_code == 400
    missing = requests.post(
        f"{emulator.url}/_emulator/calendars/nobody@example.com/raw-events", json=NO_END, timeout=10
    )
    assert missing.status_code == 404
