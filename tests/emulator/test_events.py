"""Events CRUD and rules, through Google's own Python client."""

from __future__ import annotations

import json
import re

import pytest
import requests
from googleapiclient.errors import HttpError

from .helpers import USER, error_reason, timed

RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ETAG = re.compile(r'^"\d{16}"$')


def _insert(service, body, **kw):
    return service.events().insert(calendarId="primary", body=body, **kw).execute()


def test_insert_get_patch_update_delete_round_trip(emulator, service):
    body = timed(
        "2025-06-02T10:00:00",
        "2025-06-02T11:00:00",
        id="coord0000000001",
        summary="Plan review",
        description="Bring the plan",
        location="Parramatta",
        extendedProperties={"private": {"coordinoterId": "1", "kind": "appointment"}},
    )
    created = _insert(service, body)
    assert created["id"] == "coord0000000001"
    assert created["kind"] == "calendar#event"
    assert created["status"] == "confirmed"
    assert ETAG.match(created["etag"])
    assert RFC3339_MS.match(created["updated"]) and RFC3339_MS.match(created["created"])
    assert created["iCalUID"] == "coord0000000001@google.com"
    assert created["sequence"] == 0
    assert created["creator"] == {"email": USER, "self": True}
    assert created["organizer"] == {"email": USER, "self": True}
    assert created["htmlLink"].startswith(emulator.url)
    assert created["start"] == {
        "dateTime": "2025-06-02T10:00:00+10:00",
        "timeZone": "Australia/Sydney",
    }

    got = service.events().get(calendarId="primary", eventId=created["id"]).execute()
    assert got == created

    patched = (
        service.events()
        .patch(
            calendarId="primary",
            eventId=created["id"],
            body={
                "summary": "Plan review (moved)",
                "extendedProperties": {"private": {"kind": "x"}},
            },
        )
        .execute()
    )
    assert patched["summary"] == "Plan review (moved)"
    assert patched["description"] == "Bring the plan"
    assert patched["extendedProperties"]["private"] == {"coordinoterId": "1", "kind": "x"}
    assert patched["etag"] != created["etag"]
    assert patched["sequence"] == 0

    moved = (
        service.events()
        .patch(
            calendarId="primary",
            eventId=created["id"],
            body={
                "start": {"dateTime": "2025-06-02T12:00:00+10:00"},
                "end": {"dateTime": "2025-06-02T13:00:00+10:00"},
            },
        )
        .execute()
    )
    assert moved["sequence"] == 1
    assert moved["start"]["timeZone"] == "Australia/Sydney"

    replaced = (
        service.events()
        .update(
            calendarId="primary",
            eventId=created["id"],
            body=timed("2025-06-02T12:00:00", "2025-06-02T13:00:00", summary="Replaced"),
        )
        .execute()
    )
    assert replaced["summary"] == "Replaced"
    assert "description" not in replaced
    assert "extendedProperties" not in replaced
    assert replaced["created"] == created["created"]

    assert service.events().delete(calendarId="primary", eventId=created["id"]).execute() == ""
    gone = service.events().get(calendarId="primary", eventId=created["id"]).execute()
    assert gone["status"] == "cancelled"

    with pytest.raises(HttpError) as err:
        service.events().delete(calendarId="primary", eventId=created["id"]).execute()
    assert error_reason(err.value) == (410, "deleted", "Resource has been deleted")
    with pytest.raises(HttpError) as err:
        service.events().patch(
            calendarId="primary", eventId=created["id"], body={"summary": "x"}
        ).execute()
    assert error_reason(err.value)[:2] == (410, "deleted")

    restored = (
        service.events()
        .patch(calendarId="primary", eventId=created["id"], body={"status": "confirmed"})
        .execute()
    )
    assert restored["status"] == "confirmed"


def test_delete_answers_204_with_an_empty_body(emulator, tokens):
    event = emulator.state.user_insert_event(
        USER, timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="x")
    )
    resp = requests.delete(
        f"{emulator.url}/calendar/v3/calendars/primary/events/{event['id']}",
        headers={"Authorization": "Bearer " + tokens["access_token"]},
        timeout=10,
    )
    assert resp.status_code == 204
    assert resp.content == b""


def test_client_chosen_ids(emulator, service):
    body = timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="x")
    for bad in ("abc", "ABCDEF123", "wxyz12345", "abc_defgh", "a" * 1025):
        with pytest.raises(HttpError) as err:
            _insert(service, {**body, "id": bad})
        assert error_reason(err.value) == (400, "invalid", "Invalid resource id value.")
    _insert(service, {**body, "id": "abcde"})
    with pytest.raises(HttpError) as err:
        _insert(service, {**body, "id": "abcde"})
    assert error_reason(err.value) == (409, "duplicate", "The requested identifier already exists.")
    service.events().delete(calendarId="primary", eventId="abcde").execute()
    with pytest.raises(HttpError) as err:
        _insert(service, {**body, "id": "abcde"})
    assert error_reason(err.value)[:2] == (409, "duplicate")
    made = _insert(service, body)
    assert re.fullmatch(r"[0-9a-v]{26}", made["id"])


def test_etag_changes_on_every_write_and_if_match(emulator, service):
    event = _insert(service, timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="a"))
    first = event["etag"]
    second = (
        service.events().patch(calendarId="primary", eventId=event["id"], body={"summary": "b"})
    ).execute()["etag"]
    assert first != second
    request = service.events().patch(
        calendarId="primary", eventId=event["id"], body={"summary": "c"}
    )
    request.headers["If-Match"] = first
    with pytest.raises(HttpError) as err:
        request.execute()
    assert error_reason(err.value) == (412, "conditionNotMet", "Precondition Failed")
    body = json.loads(err.value.content)["error"]["errors"][0]
    assert body["locationType"] == "header" and body["location"] == "If-Match"
    request = service.events().patch(
        calendarId="primary", eventId=event["id"], body={"summary": "c"}
    )
    request.headers["If-Match"] = second
    assert request.execute()["summary"] == "c"
    request = service.events().delete(calendarId="primary", eventId=event["id"])
    request.headers["If-Match"] = second
    with pytest.raises(HttpError) as err:
        request.execute()
    assert error_reason(err.value)[0] == 412


@pytest.mark.parametrize(
    ("body", "reason", "message"),
    [
        ({"start": {"dateTime": "2025-06-02T10:00:00+10:00"}}, "required", "Missing end time."),
        (
            timed("2025-06-02T10:00:00", "2025-06-02T09:00:00"),
            "timeRangeEmpty",
            "The specified time range is empty.",
        ),
        (
            {
                "start": {"dateTime": "2025-06-02T10:00:00"},
                "end": {"dateTime": "2025-06-02T11:00:00"},
            },
            "required",
            "Missing time zone definition for start time.",
        ),
        (
            timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", tz="Mars/Olympus_Mons"),
            "invalid",
            "Invalid time zone definition for start time.",
        ),
        ({"start": {"date": "2025-06-03"}, "end": {"date": "2025-06-03"}}, "timeRangeEmpty", None),
        (
            {"start": {"date": "2025-06-03"}, "end": {"dateTime": "2025-06-03T10:00:00Z"}},
            "invalid",
            None,
        ),
    ],
)
def test_validation(emulator, service, body, reason, message):
    with pytest.raises(HttpError) as err:
        _insert(service, {"summary": "x", **body})
    code, got_reason, got_message = error_reason(err.value)
    assert (code, got_reason) == (400, reason)
    if message:
        assert got_message == message


def test_all_day_events(emulator, service):
    event = _insert(
        service, {"summary": "Expo", "start": {"date": "2025-06-05"}, "end": {"date": "2025-06-06"}}
    )
    assert event["start"] == {"date": "2025-06-05"}
    listing = (
        service.events()
        .list(
            calendarId="primary",
            timeMin="2025-06-05T13:00:00Z",  # 23:00 in Sydney, still on the 5th there
            timeMax="2025-06-05T14:00:00Z",
        )
        .execute()
    )
    assert [e["id"] for e in listing["items"]] == [event["id"]]
    after = (
        service.events()
        .list(
            calendarId="primary",
            timeMin="2025-06-05T14:00:00Z",  # midnight on the 6th in Sydney
        )
        .execute()
    )
    assert after["items"] == []


def test_send_updates_is_recorded(emulator, service):
    _insert(
        service,
        timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="x"),
        sendUpdates="none",
    )
    entry = [e for e in emulator.state.request_log() if e["method"] == "calendar.events.insert"]
    assert entry[-1]["send_updates"] == "none"
    assert entry[-1]["query"]["sendUpdates"] == "none"
    assert entry[-1]["user"] == USER
    assert entry[-1]["in_batch"] is False


def test_unknown_calendar_unknown_event_bad_token_and_unknown_paths(emulator, service, tokens):
    with pytest.raises(HttpError) as err:
        service.events().get(calendarId="primary", eventId="nosuchevent").execute()
    assert error_reason(err.value) == (404, "notFound", "Not Found")
    with pytest.raises(HttpError) as err:
        service.events().list(calendarId="olive@example.com").execute()
    assert error_reason(err.value)[:2] == (404, "notFound")

    resp = requests.get(
        emulator.url + "/calendar/v3/calendars/primary/events",
        headers={"Authorization": "Bearer ya29.bogus"},
        timeout=10,
    )
    assert resp.status_code == 401
    error = resp.json()["error"]
    assert error["errors"][0] == {
        "domain": "global",
        "reason": "authError",
        "message": "Invalid Credentials",
        "locationType": "header",
        "location": "Authorization",
    }
    assert error["status"] == "UNAUTHENTICATED"

    auth = {"Authorization": "Bearer " + tokens["access_token"]}
    resp = requests.get(emulator.url + "/calendar/v3/nothing/here", headers=auth, timeout=10)
    assert resp.status_code == 404
    assert resp.json()["error"]["errors"][0]["reason"] == "notFound"
    resp = requests.delete(emulator.url + "/calendar/v3/users/me/calendarList", headers=auth)
    assert resp.status_code == 405
    assert resp.json()["error"]["code"] == 405


def test_calendar_list_and_calendars(emulator, service):
    entries = service.calendarList().list().execute()
    assert entries["kind"] == "calendar#calendarList"
    primary = entries["items"][0]
    assert primary["id"] == USER
    assert primary["primary"] is True
    assert primary["accessRole"] == "owner"
    assert primary["timeZone"] == "Australia/Sydney"
    created = (
        service.calendars()
        .insert(body={"summary": "Coordinoter", "timeZone": "Australia/Perth"})
        .execute()
    )
    assert created["kind"] == "calendar#calendar"
    assert created["id"].endswith("@group.calendar.google.com")
    got = service.calendars().get(calendarId=created["id"]).execute()
    assert got["summary"] == "Coordinoter"
    assert service.calendars().get(calendarId="primary").execute()["id"] == USER
    entry = service.calendarList().get(calendarId=created["id"]).execute()
    assert "primary" not in entry
    assert len(service.calendarList().list().execute()["items"]) == 2
    page = service.calendarList().list(maxResults=1).execute()
    assert len(page["items"]) == 1 and page["nextPageToken"]
    rest = service.calendarList().list(maxResults=1, pageToken=page["nextPageToken"]).execute()
    assert len(rest["items"]) == 1 and "nextPageToken" not in rest
    event = (
        service.events()
        .insert(
            calendarId=created["id"],
            body=timed("2025-06-02T10:00:00", "2025-06-02T11:00:00", summary="x"),
        )
        .execute()
    )
    assert event["organizer"]["email"] == created["id"]
    assert event["organizer"]["displayName"] == "Coordinoter"


def test_list_filters(emulator, service):
    a = _insert(
        service,
        timed(
            "2025-06-02T10:00:00",
            "2025-06-02T11:00:00",
            summary="Meet Jordan",
            extendedProperties={"private": {"coordinoterId": "7", "origin": "portal"}},
        ),
    )
    b = _insert(
        service,
        timed("2025-06-03T10:00:00", "2025-06-03T11:00:00", summary="x", location="JORDAN St"),
    )
    _insert(service, timed("2025-06-04T10:00:00", "2025-06-04T11:00:00", summary="Other"))

    def ids(**kw):
        return [
            e["id"] for e in service.events().list(calendarId="primary", **kw).execute()["items"]
        ]

    assert sorted(ids(q="jordan")) == sorted([a["id"], b["id"]])
    assert ids(privateExtendedProperty="coordinoterId=7") == [a["id"]]
    assert ids(privateExtendedProperty=["coordinoterId=7", "origin=google"]) == []
    assert ids(iCalUID=b["iCalUID"]) == [b["id"]]
    assert ids(timeMin="2025-06-02T01:00:00Z", timeMax="2025-06-03T00:00:00Z") == []
    assert ids(timeMin="2025-06-02T00:59:59Z", timeMax="2025-06-03T00:00:01Z") == [a["id"], b["id"]]
    changed = (
        service.events().patch(calendarId="primary", eventId=a["id"], body={"summary": "z"})
    ).execute()
    assert ids(orderBy="updated")[-1] == a["id"]
    assert ids(updatedMin=changed["updated"]) == [a["id"]]
    with pytest.raises(HttpError) as err:
        service.events().list(calendarId="primary", orderBy="startTime").execute()
    assert error_reason(err.value)[:2] == (400, "invalid")
    ordered = ids(orderBy="startTime", singleEvents=True)
    assert ordered[:2] == [a["id"], b["id"]]


def test_max_results_is_capped_at_2500(emulator, service):
    listing = service.events().list(calendarId="primary", maxResults=5000).execute()
    assert listing["items"] == []
    assert listing["nextSyncToken"]
    assert listing["kind"] == "calendar#events"
    assert listing["accessRole"] == "owner"
    assert listing["timeZone"] == "Australia/Sydney"
