"""Google's special event types: imported as their kinds, and a push sends only what each
type lets change (a birthday's title, never its private properties), nothing for changes
that stay in the portal, and shows Google's values where a locked field was changed."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.google.sync_support import SOON, link_of, pending_outbox, timed
from tests.google.test_real_calendars import (
    change,
    forget_requests,
    form_values,
    google_adds,
    google_copy,
    messages,
    patches,
    portal_copy,
    pull,
    push,
    user_adds,
)

SYDNEY = ZoneInfo("Australia/Sydney")
BIRTHDAY = SOON.astimezone(SYDNEY).date() + timedelta(days=3)


# What the coordinator sets in Google Calendar, by the portal's name for its kind.
MADE_IN_GOOGLE = {
    "out_of_office": {
        "eventType": "outOfOffice",
        "summary": "Out of office",
        "outOfOfficeProperties": {
            "autoDeclineMode": "declineAllConflictingInvitations",
            "declineMessage": "Away at training",
        },
        **timed(SOON, minutes=240),
    },
    "focus_time": {
        "eventType": "focusTime",
        "summary": "Reports",
        **timed(SOON + timedelta(days=1)),
    },
    "working_location": {
        "eventType": "workingLocation",
        "summary": "Parramatta office",
        "workingLocationProperties": {
            "type": "officeLocation",
            "officeLocation": {"label": "Parramatta"},
        },
        **timed(SOON + timedelta(days=2), minutes=480),
    },
    "birthday": {
        "eventType": "birthday",
        "summary": "Sam's birthday",
        "start": {"date": BIRTHDAY.isoformat()},
        "end": {"date": (BIRTHDAY + timedelta(days=1)).isoformat()},
    },
}
FLIGHT = SOON + timedelta(days=4)
# What Gmail adds from a booking email: bare offsets, no zone names.
FROM_GMAIL = {
    "eventType": "fromGmail",
    "summary": "Flight to Melbourne (QF 409)",
    "location": "Sydney SYD",
    "start": {"dateTime": FLIGHT.astimezone(SYDNEY).isoformat()},
    "end": {"dateTime": (FLIGHT + timedelta(hours=2)).astimezone(SYDNEY).isoformat()},
}


def every_kind(google, connection) -> dict[str, dict]:
    """One event of each special type in Google, imported; Google's copies by kind."""
    items = {kind: user_adds(google, body) for kind, body in MADE_IN_GOOGLE.items()}
    items["from_gmail"] = google_adds(google, FROM_GMAIL)
    pull(connection)
    return items


def test_each_event_type_is_imported_as_its_kind(connected, google):
    items = every_kind(google, connected)
    for kind, item in items.items():
        event = portal_copy(item["id"])
        assert (event.origin, event.google_kind) == ("google", kind), item["eventType"]
        assert event.title == item["summary"]
    birthday = portal_copy(items["birthday"]["id"])
    assert (birthday.all_day, birthday.start_date) == (True, BIRTHDAY)
    # Yearly (on 29 February: the last day of February, as Google writes it).
    assert birthday.recurrence == "\n".join(items["birthday"]["recurrence"])
    assert birthday.recurrence.startswith("RRULE:FREQ=YEARLY")
    place = portal_copy(items["working_location"]["id"])
    assert place.google_details == {"working_location": "Office: Parramatta"}
    away_event = portal_copy(items["out_of_office"]["id"])
    assert (away_event.start_at, away_event.end_at) == (SOON, SOON + timedelta(hours=4))
    gmail = portal_copy(items["from_gmail"]["id"])
    assert gmail.start_at == FLIGHT
    assert gmail.location == "Sydney SYD"
    assert not pending_outbox()


def test_renaming_a_birthday_reaches_google_without_a_refusal(
    connected, coordinator, google, client
):
    item = every_kind(google, connected)["birthday"]
    event = portal_copy(item["id"])
    form = form_values(client.get(f"/calendar/events/{event.id}/edit").text)
    assert form["title"] == "Sam's birthday"
    forget_requests(google)

    answer = client.post(f"/calendar/events/{event.id}", data={**form, "title": "Sam's 40th"})
    assert answer.status_code in (200, 302, 303), answer.text
    push(coordinator.id)

    # Only the title: a birthday refuses private extended properties, visibility changes ...
    assert patches(google) == [{"summary": "Sam's 40th"}]
    assert [call["status"] for call in google.calls("calendar.events.patch")] == [200]
    after = google_copy(google, item["id"])
    assert (after["summary"], after["eventType"]) == ("Sam's 40th", "birthday")
    assert (after["start"], after["recurrence"]) == (item["start"], item["recurrence"])
    assert "extendedProperties" not in after
    assert not messages(kind="error") and not messages(outcome="not_taken")
    assert messages(kind="push")[-1] == "“Sam's 40th” updated in Google"
    assert not pending_outbox()


def test_renaming_out_of_office_keeps_its_decline_settings(connected, coordinator, google):
    item = every_kind(google, connected)["out_of_office"]
    forget_requests(google)

    change(portal_copy(item["id"]), title="Training day")
    push(coordinator.id)

    assert patches(google) == [{"summary": "Training day"}]
    after = google_copy(google, item["id"])
    assert after["outOfOfficeProperties"] == item["outOfOfficeProperties"]
    assert (after["start"], after["end"], after["transparency"]) == (
        item["start"],
        item["end"],
        "opaque",
    )


@pytest.mark.parametrize("kind", ["working_location", "from_gmail"])
def test_a_portal_only_change_sends_nothing_and_is_no_refusal(
    connected, coordinator, google, client, kind
):
    item = every_kind(google, connected)[kind]
    event = portal_copy(item["id"])
    form = form_values(client.get(f"/calendar/events/{event.id}/edit").text)
    forget_requests(google)

    answer = client.post(
        f"/calendar/events/{event.id}", data={**form, "internal_notes": "Check the plan dates"}
    )
    assert answer.status_code in (200, 302, 303), answer.text
    push(coordinator.id)

    event = portal_copy(item["id"])
    assert event.internal_notes == "Check the plan dates"
    assert google.calls("calendar.events.patch") == []
    assert google.calls("calendar.events.update") == []
    assert google_copy(google, item["id"])["etag"] == item["etag"]
    assert not messages(kind="error") and not messages(outcome="not_taken")
    assert link_of(event).synced_version == event.version and not pending_outbox()


def test_a_locked_field_changed_anyway_is_shown_and_google_s_value_stands(
    connected, coordinator, google
):
    item = every_kind(google, connected)["out_of_office"]
    forget_requests(google)

    # Out of office keeps its time in Google: forced here, it is not sent, and not kept.
    event = portal_copy(item["id"])
    change(event, start_at=SOON + timedelta(hours=1), end_at=SOON + timedelta(hours=5))
    push(coordinator.id)

    assert patches(google) == [] and not messages(kind="error")
    assert google_copy(google, item["id"])["start"] == item["start"]
    event = portal_copy(item["id"])
    assert (event.start_at, event.end_at) == (SOON, SOON + timedelta(hours=4))
    [shown] = messages(outcome="not_taken")
    assert "time" in shown
    assert not [m for m in messages() if "updated in Google" in m]
    assert link_of(event).synced_version == event.version and not pending_outbox()
