"""Google's eventType rules, over HTTP with Google's own client (see event_types.py)."""

from __future__ import annotations

import pytest
import requests
from googleapiclient.errors import HttpError

from .helpers import USER, error_reason, timed

DAY = {"start": {"date": "2025-06-10"}, "end": {"date": "2025-06-11"}}


def _refused(request, status=400, reason="eventTypeRestriction"):
    with pytest.raises(HttpError) as info:
        request.execute()
    code, got, message = error_reason(info.value)
    assert (code, got) == (status, reason), message
    return message


def test_every_type_round_trips_and_default_is_default(service):
    events = service.events()
    plain = events.insert(
        calendarId="primary", body=timed("2025-06-02T10:00:00", "2025-06-02T11:00:00")
    ).execute()
    assert plain["eventType"] == "default"
    ooo = events.insert(
        calendarId="primary",
        body=timed(
            "2025-06-03T09:00:00",
            "2025-06-03T17:00:00",
            eventType="outOfOffice",
            summary="Away",
            outOfOfficeProperties={
                "autoDeclineMode": "declineAllConflictingInvitations",
                "declineMessage": "Away",
            },
        ),
    ).execute()
    assert ooo["eventType"] == "outOfOffice" and ooo["transparency"] == "opaque"
    assert ooo["outOfOfficeProperties"]["declineMessage"] == "Away"
    focus = events.insert(
        calendarId="primary",
        body=timed("2025-06-04T09:00:00", "2025-06-04T11:00:00", eventType="focusTime"),
    ).execute()
    assert focus["transparency"] == "opaque"
    assert focus["focusTimeProperties"]["autoDeclineMode"] == "declineNone"
    where = events.insert(
        calendarId="primary",
        body={
            **DAY,
            "eventType": "workingLocation",
            "workingLocationProperties": {"type": "homeOffice", "homeOffice": {}},
        },
    ).execute()
    assert (where["visibility"], where["transparency"]) == ("public", "transparent")
    birthday = events.insert(
        calendarId="primary", body={**DAY, "eventType": "birthday", "summary": "Sam's birthday"}
    ).execute()
    assert birthday["visibility"] == "private" and birthday["transparency"] == "transparent"
    assert birthday["recurrence"] == ["RRULE:FREQ=YEARLY"]
    assert birthday["birthdayProperties"] == {"type": "birthday"}
    got = events.get(calendarId="primary", eventId=birthday["id"]).execute()
    assert got["eventType"] == "birthday"
    listed = {e["id"]: e["eventType"] for e in events.list(calendarId="primary").execute()["items"]}
    assert sorted(listed.values()) == sorted(
        ["default", "outOfOffice", "focusTime", "workingLocation", "birthday"]
    )


def test_event_type_cannot_change_even_on_a_put_that_omits_it(service):
    events = service.events()
    ooo = events.insert(
        calendarId="primary",
        body=timed("2025-06-03T09:00:00", "2025-06-03T17:00:00", eventType="outOfOffice"),
    ).execute()
    message = _refused(
        events.patch(calendarId="primary", eventId=ooo["id"], body={"eventType": "default"})
    )
    assert message == "Event type cannot be changed."
    put = timed("2025-06-03T09:00:00", "2025-06-03T17:00:00", summary="Away")
    assert _refused(events.update(calendarId="primary", eventId=ooo["id"], body=put)) == (
        "Event type cannot be changed."
    )
    plain = events.insert(
        calendarId="primary", body=timed("2025-06-02T10:00:00", "2025-06-02T11:00:00")
    ).execute()
    _refused(
        events.patch(calendarId="primary", eventId=plain["id"], body={"eventType": "focusTime"})
    )
    # A PUT that omits eventType on a default event keeps it default.
    events.update(calendarId="primary", eventId=plain["id"], body=put).execute()


def test_birthday_allows_only_its_fields_and_no_private_properties(service):
    events = service.events()
    bday = events.insert(
        calendarId="primary", body={**DAY, "eventType": "birthday", "summary": "Sam"}
    ).execute()
    changed = events.patch(
        calendarId="primary",
        eventId=bday["id"],
        body={
            "summary": "Sam turns 40",
            "colorId": "4",
            "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 60}]},
            "start": {"date": "2025-06-12"},
            "end": {"date": "2025-06-13"},
        },
    ).execute()
    assert (changed["summary"], changed["start"]) == ("Sam turns 40", {"date": "2025-06-12"})
    for body in (
        {"description": "x"},
        {"location": "Home"},
        {"visibility": "public"},
        {"transparency": "opaque"},
        {"start": {"date": "2025-06-12"}, "end": {"date": "2025-06-14"}},
        {
            "start": {"dateTime": "2025-06-12T10:00:00Z", "timeZone": "UTC"},
            "end": {"dateTime": "2025-06-12T11:00:00Z", "timeZone": "UTC"},
        },
    ):
        _refused(events.patch(calendarId="primary", eventId=bday["id"], body=body))
    message = _refused(
        events.patch(
            calendarId="primary",
            eventId=bday["id"],
            body={"extendedProperties": {"private": {"a": "1"}}},
        )
    )
    assert message == "'birthday' event type must not have private extended properties."
    _refused(
        events.insert(
            calendarId="primary",
            body={**DAY, "eventType": "birthday", "extendedProperties": {"private": {"a": "1"}}},
        )
    )
    _refused(
        events.insert(
            calendarId="primary",
            body={
                "eventType": "birthday",
                "start": {"date": "2025-06-10"},
                "end": {"date": "2025-06-12"},
            },
        )
    )
    _refused(
        events.insert(
            calendarId="primary", body={**DAY, "eventType": "birthday", "visibility": "public"}
        )
    )
    # A PUT that restates the locked fields' values (or omits them) is fine.
    events.update(
        calendarId="primary",
        eventId=bday["id"],
        body={**DAY, "eventType": "birthday", "summary": "Sam again"},
    ).execute()


def test_busy_status_types_are_timed_and_opaque(service):
    events = service.events()
    for kind in ("outOfOffice", "focusTime"):
        _refused(events.insert(calendarId="primary", body={**DAY, "eventType": kind}))
        _refused(
            events.insert(
                calendarId="primary",
                body=timed(
                    "2025-06-03T09:00:00",
                    "2025-06-03T10:00:00",
                    eventType=kind,
                    transparency="transparent",
                ),
            )
        )
        made = events.insert(
            calendarId="primary",
            body=timed("2025-06-03T09:00:00", "2025-06-03T10:00:00", eventType=kind),
        ).execute()
        _refused(
            events.patch(
                calendarId="primary", eventId=made["id"], body={"transparency": "transparent"}
            )
        )
        moved = events.patch(
            calendarId="primary",
            eventId=made["id"],
            body=timed("2025-06-03T11:00:00", "2025-06-03T12:00:00", summary="Later"),
        ).execute()
        assert moved["summary"] == "Later"


def test_working_location_rules(service):
    events = service.events()
    props = {"type": "officeLocation", "officeLocation": {"label": "Parramatta"}}
    timed_one = events.insert(
        calendarId="primary",
        body=timed(
            "2025-06-03T09:00:00",
            "2025-06-03T17:00:00",
            eventType="workingLocation",
            workingLocationProperties=props,
        ),
    ).execute()
    assert timed_one["visibility"] == "public"
    bad = [
        {**DAY, "location": "Office"},
        {"start": {"date": "2025-06-10"}, "end": {"date": "2025-06-12"}},
        {**DAY, "visibility": "private"},
        {**DAY, "transparency": "opaque"},
    ]
    for body in bad:
        _refused(
            events.insert(
                calendarId="primary",
                body={**body, "eventType": "workingLocation", "workingLocationProperties": props},
            )
        )
    with pytest.raises(HttpError) as info:
        events.insert(calendarId="primary", body={**DAY, "eventType": "workingLocation"}).execute()
    assert error_reason(info.value)[:2] == (400, "invalid")


def test_status_types_only_on_the_primary_calendar(emulator, service):
    secondary = emulator.state.add_calendar(USER, "Work")
    _refused(
        service.events().insert(
            calendarId=secondary,
            body=timed("2025-06-03T09:00:00", "2025-06-03T17:00:00", eventType="outOfOffice"),
        )
    )


def _gmail(emulator, **extra):
    body = {
        "eventType": "fromGmail",
        "summary": "Flight to Melbourne (QF 409)",
        "start": {"dateTime": "2025-06-05T07:00:00+10:00"},
        "end": {"dateTime": "2025-06-05T08:35:00+10:00"},
        "location": "Sydney SYD",
        **extra,
    }
    resp = requests.post(
        f"{emulator.url}/_emulator/calendars/{USER}/google-events", json=body, timeout=10
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_gmail_events_look_as_google_makes_them(emulator, service):
    made = _gmail(emulator)
    got = service.events().get(calendarId="primary", eventId=made["id"]).execute()
    assert got["id"].startswith("_")
    assert got["organizer"] == {"email": "unknownorganizer@calendar.google.com"}
    assert got["privateCopy"] is True and got["eventType"] == "fromGmail"
    assert got["start"] == {"dateTime": "2025-06-05T07:00:00+10:00"}
    assert "timeZone" not in got["end"]


def test_gmail_events_cannot_be_inserted_and_allow_only_their_fields(emulator, service):
    events = service.events()
    _refused(
        events.insert(
            calendarId="primary",
            body=timed("2025-06-05T07:00:00", "2025-06-05T08:00:00", eventType="fromGmail"),
        )
    )
    made = _gmail(emulator)
    ok = events.patch(
        calendarId="primary",
        eventId=made["id"],
        body={
            "colorId": "3",
            "visibility": "private",
            "transparency": "transparent",
            "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 90}]},
            "extendedProperties": {"private": {"portal": "1"}},
        },
    ).execute()
    assert ok["colorId"] == "3" and ok["extendedProperties"]["private"] == {"portal": "1"}
    assert ok["start"] == {"dateTime": "2025-06-05T07:00:00+10:00"}
    for body in (
        {"summary": "Renamed"},
        {"location": "Elsewhere"},
        {"description": "x"},
        {
            "start": {"dateTime": "2025-06-05T09:00:00+10:00"},
            "end": {"dateTime": "2025-06-05T10:00:00+10:00"},
        },
    ):
        _refused(events.patch(calendarId="primary", eventId=made["id"], body=body))
    # The same instants written in another zone are not a change.
    events.patch(
        calendarId="primary",
        eventId=made["id"],
        body={
            "start": {"dateTime": "2025-06-04T21:00:00Z"},
            "end": {"dateTime": "2025-06-04T22:35:00Z"},
        },
    ).execute()
    events.delete(calendarId="primary", eventId=made["id"]).execute()


def test_list_filters_by_event_types(service):
    events = service.events()
    events.insert(
        calendarId="primary", body=timed("2025-06-02T10:00:00", "2025-06-02T11:00:00")
    ).execute()
    events.insert(calendarId="primary", body={**DAY, "eventType": "birthday"}).execute()
    only = events.list(calendarId="primary", eventTypes=["birthday"]).execute()["items"]
    assert [e["eventType"] for e in only] == ["birthday"]
    both = events.list(calendarId="primary", eventTypes=["birthday", "default"]).execute()
    assert len(both["items"]) == 2
