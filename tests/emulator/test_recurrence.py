"""Recurring series: expansion across a Sydney DST change, exceptions, cancelled instances."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from google_emulator import timefmt

from .helpers import USER, error_reason, timed

TZ = "Australia/Sydney"
# Sydney leaves daylight saving on Sunday 6 April 2025: +11:00 before, +10:00 after.
SERIES = timed(
    "2025-03-24T09:00:00",
    "2025-03-24T10:00:00",
    summary="Weekly check-in",
    recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"],
)
WINDOW = {"timeMin": "2025-03-01T00:00:00Z", "timeMax": "2025-05-01T00:00:00Z"}


def _series(service, body=SERIES):
    return service.events().insert(calendarId="primary", body=body).execute()


def _single(service, **kw):
    return (
        service.events()
        .list(calendarId="primary", singleEvents=True, orderBy="startTime", **WINDOW, **kw)
        .execute()["items"]
    )


def test_instances_keep_wall_clock_time_across_dst(emulator, service):
    master = _series(service)
    items = _single(service)
    assert [e["start"]["dateTime"] for e in items] == [
        "2025-03-24T09:00:00+11:00",
        "2025-03-31T09:00:00+11:00",
        "2025-04-07T09:00:00+10:00",
        "2025-04-14T09:00:00+10:00",
    ]
    assert [e["id"] for e in items] == [
        f"{master['id']}_20250323T220000Z",
        f"{master['id']}_20250330T220000Z",
        f"{master['id']}_20250406T230000Z",
        f"{master['id']}_20250413T230000Z",
    ]
    first = items[0]
    assert first["recurringEventId"] == master["id"]
    assert first["originalStartTime"] == {"dateTime": "2025-03-24T09:00:00+11:00", "timeZone": TZ}
    assert first["iCalUID"] == master["iCalUID"]
    assert "recurrence" not in first
    assert first["end"]["dateTime"] == "2025-03-24T10:00:00+11:00"
    one = service.events().get(calendarId="primary", eventId=items[2]["id"]).execute()
    assert one["start"]["dateTime"] == "2025-04-07T09:00:00+10:00"


def test_exception_and_cancelled_instance(emulator, service):
    master = _series(service)
    moved_id = f"{master['id']}_20250330T220000Z"
    dropped_id = f"{master['id']}_20250406T230000Z"
    token = service.events().list(calendarId="primary").execute()["nextSyncToken"]

    moved = (
        service.events()
        .patch(
            calendarId="primary",
            eventId=moved_id,
            body={
                "summary": "Check-in (moved)",
                "start": {"dateTime": "2025-03-31T10:00:00+11:00"},
                "end": {"dateTime": "2025-03-31T11:00:00+11:00"},
            },
        )
        .execute()
    )
    assert moved["id"] == moved_id
    assert moved["recurringEventId"] == master["id"]
    assert moved["originalStartTime"]["dateTime"] == "2025-03-31T09:00:00+11:00"
    service.events().delete(calendarId="primary", eventId=dropped_id).execute()

    items = _single(service)
    assert [(e["id"], e["start"]["dateTime"], e["summary"]) for e in items] == [
        (f"{master['id']}_20250323T220000Z", "2025-03-24T09:00:00+11:00", "Weekly check-in"),
        (moved_id, "2025-03-31T10:00:00+11:00", "Check-in (moved)"),
        (f"{master['id']}_20250413T230000Z", "2025-04-14T09:00:00+10:00", "Weekly check-in"),
    ]
    with_deleted = _single(service, showDeleted=True)
    cancelled = [e for e in with_deleted if e["status"] == "cancelled"]
    assert [e["id"] for e in cancelled] == [dropped_id]
    assert cancelled[0]["recurringEventId"] == master["id"]
    assert cancelled[0]["originalStartTime"]["dateTime"] == "2025-04-07T09:00:00+10:00"

    # singleEvents=false: the master and its exceptions as stored; Google lists cancelled
    # instances of a live series even without showDeleted.
    stored = service.events().list(calendarId="primary").execute()["items"]
    assert {e["id"]: e["status"] for e in stored} == {
        master["id"]: "confirmed",
        moved_id: "confirmed",
        dropped_id: "cancelled",
    }
    assert next(e for e in stored if e["id"] == master["id"])["recurrence"] == SERIES["recurrence"]

    changes = service.events().list(calendarId="primary", syncToken=token).execute()["items"]
    by_id = {e["id"]: e for e in changes}
    assert set(by_id) == {moved_id, dropped_id}
    assert by_id[dropped_id]["status"] == "cancelled"
    assert by_id[dropped_id]["recurringEventId"] == master["id"]
    assert by_id[dropped_id]["originalStartTime"]["dateTime"] == "2025-04-07T09:00:00+10:00"

    instances = (
        service.events()
        .instances(calendarId="primary", eventId=master["id"], timeMin="2025-04-01T00:00:00Z")
        .execute()["items"]
    )
    assert [e["id"] for e in instances] == [f"{master['id']}_20250413T230000Z"]
    all_instances = (
        service.events()
        .instances(calendarId="primary", eventId=master["id"], showDeleted=True)
        .execute()["items"]
    )
    assert len(all_instances) == 4

    expanded = emulator.state.expand(
        USER,
        timefmt.parse_rfc3339(WINDOW["timeMin"]),
        timefmt.parse_rfc3339(WINDOW["timeMax"]),
    )
    assert [e["id"] for e in expanded] == [e["id"] for e in items]


def test_master_changes_reach_unmodified_instances_and_delete_cancels_the_series(emulator, service):
    master = _series(service)
    service.events().patch(
        calendarId="primary", eventId=master["id"], body={"summary": "Renamed"}
    ).execute()
    assert {e["summary"] for e in _single(service)} == {"Renamed"}
    token = service.events().list(calendarId="primary").execute()["nextSyncToken"]
    service.events().delete(calendarId="primary", eventId=master["id"]).execute()
    assert _single(service) == []
    changes = service.events().list(calendarId="primary", syncToken=token).execute()["items"]
    assert [(e["id"], e["status"]) for e in changes] == [(master["id"], "cancelled")]
    with pytest.raises(HttpError) as err:
        service.events().get(
            calendarId="primary", eventId=f"{master['id']}_20250323T220000Z"
        ).execute()
    assert error_reason(err.value)[0] == 404


def test_single_events_incremental_sync_reports_instances(emulator, service):
    master = _series(service)
    token = (
        service.events().list(calendarId="primary", singleEvents=True).execute()["nextSyncToken"]
    )
    service.events().patch(
        calendarId="primary", eventId=f"{master['id']}_20250330T220000Z", body={"summary": "One"}
    ).execute()
    changes = (
        service.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()
    )
    assert [e["id"] for e in changes["items"]] == [f"{master['id']}_20250330T220000Z"]
    token = changes["nextSyncToken"]
    service.events().patch(
        calendarId="primary", eventId=master["id"], body={"location": "Room 2"}
    ).execute()
    changes = (
        service.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()
    )
    assert len(changes["items"]) == 4
    assert all(e["recurringEventId"] == master["id"] for e in changes["items"])
    token = changes["nextSyncToken"]
    service.events().delete(calendarId="primary", eventId=master["id"]).execute()
    gone = service.events().list(calendarId="primary", singleEvents=True, syncToken=token).execute()
    assert {e["status"] for e in gone["items"]} == {"cancelled"}
    assert sorted(e["id"] for e in gone["items"]) == sorted(
        f"{master['id']}_{suffix}"
        for suffix in (
            "20250323T220000Z",
            "20250330T220000Z",
            "20250406T230000Z",
            "20250413T230000Z",
        )
    )
    assert all(e["recurringEventId"] == master["id"] for e in gone["items"])


def test_all_day_series(emulator, service):
    master = _series(
        service,
        {
            "summary": "Leave",
            "start": {"date": "2025-09-01"},
            "end": {"date": "2025-09-02"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
        },
    )
    items = (
        service.events()
        .list(calendarId="primary", singleEvents=True, timeMin="2025-08-01T00:00:00Z")
        .execute()["items"]
    )
    assert [e["id"] for e in items] == [
        f"{master['id']}_20250901",
        f"{master['id']}_20250902",
        f"{master['id']}_20250903",
    ]
    assert items[1]["start"] == {"date": "2025-09-02"}
    assert items[1]["originalStartTime"] == {"date": "2025-09-02"}


def test_exdate_and_until(emulator, service):
    body = dict(SERIES)
    body["recurrence"] = [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20250420T000000Z",
        "EXDATE;TZID=Australia/Sydney:20250331T090000",
    ]
    master = _series(service, body)
    items = _single(service)
    assert [e["id"] for e in items] == [
        f"{master['id']}_20250323T220000Z",
        f"{master['id']}_20250406T230000Z",
        f"{master['id']}_20250413T230000Z",
    ]
    with pytest.raises(HttpError) as err:
        service.events().get(
            calendarId="primary", eventId=f"{master['id']}_20250330T220000Z"
        ).execute()
    assert error_reason(err.value)[0] == 404


def test_open_ended_series_is_bounded_by_default(emulator, service):
    body = dict(SERIES)
    body["recurrence"] = ["RRULE:FREQ=DAILY"]
    _series(service, body)
    items = (
        service.events()
        .list(
            calendarId="primary",
            singleEvents=True,
            timeMin="2025-03-25T00:00:00Z",
            timeMax="2025-03-28T00:00:00Z",
        )
        .execute()["items"]
    )
    assert len(items) == 3
    masters = (
        service.events()
        .list(calendarId="primary", timeMin="2030-01-01T00:00:00Z", timeMax="2030-01-02T00:00:00Z")
        .execute()["items"]
    )
    assert len(masters) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            {
                "start": {"dateTime": "2025-03-24T09:00:00+11:00"},
                "end": {"dateTime": "2025-03-24T10:00:00+11:00"},
                "recurrence": ["RRULE:FREQ=WEEKLY"],
            },
            "required",
        ),
        ({**SERIES, "recurrence": ["RRULE:FREQ=SOMETIMES"]}, "invalid"),
        ({**SERIES, "recurrence": ["NOTARULE"]}, "invalid"),
    ],
)
def test_recurrence_validation(emulator, service, body, reason):
    with pytest.raises(HttpError) as err:
        _series(service, body)
    assert error_reason(err.value)[:2] == (400, reason)


def test_user_edits_of_one_instance(emulator):
    state = emulator.state
    master = state.user_insert_event(USER, SERIES)
    instance = f"{master['id']}_20250413T230000Z"
    state.user_patch_event(USER, instance, {"location": "Office"})
    state.user_delete_event(USER, f"{master['id']}_20250323T220000Z")
    stored = {e["id"]: e for e in state.list_events(USER, include_deleted=True)}
    assert stored[instance]["location"] == "Office"
    assert stored[f"{master['id']}_20250323T220000Z"]["status"] == "cancelled"
    assert state.get_event(USER, f"{master['id']}_20250406T230000Z")["summary"] == (
        "Weekly check-in"
    )
