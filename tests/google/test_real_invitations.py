"""Invitations someone else organises: imported as invitations, the coordinator's answer
reaches Google and nothing else of theirs is sent, the organiser's changes and an answer
given in Google reach the portal, and an edit Google ignores is shown, not logged as sent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.google.sync.kinds import INVITATION
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import SOON, link_of, pending_outbox, timed
from tests.google.test_real_calendars import (
    ORGANIZER,
    change,
    control,
    forget_requests,
    google_copy,
    invited,
    messages,
    organiser_changes,
    own_answer,
    patches,
    portal_copy,
    pull,
    push,
    user_changes,
)
from tests.support.worker import run_jobs

# The fields of Google's copy that are the organiser's (and the coordinator's etag-free view).
SHARED = ("summary", "description", "location", "start", "end", "organizer", "status")


def case_conference(google, connection) -> tuple[dict, object]:
    """An invitation from Dr Lee, with another guest, imported into the portal."""
    item = invited(
        google,
        {
            "summary": "Case conference",
            "description": "<b>Agenda</b><br>Plan review",
            "location": "Clinic, room 2",
            "attendees": [{"email": "sam@provider.example", "displayName": "Sam"}],
            **timed(SOON),
        },
    )
    pull(connection)
    return item, portal_copy(item["id"])


def others(item: dict) -> list[dict]:
    """Everyone on the guest list but the coordinator, as Google holds them."""
    return [person for person in item.get("attendees") or [] if not person.get("self")]


def test_an_invitation_is_imported_with_its_organiser_and_no_answer_yet(connected, google):
    _, event = case_conference(google, connected)
    assert (event.origin, event.google_kind, event.response_status) == (
        "google",
        INVITATION,
        "needsAction",
    )
    assert event.google_details["organizer"] == {
        "name": ORGANIZER["displayName"],
        "email": ORGANIZER["email"],
    }
    assert (event.title, event.location) == ("Case conference", "Clinic, room 2")
    assert event.notes == "<b>Agenda</b><br>Plan review"


def test_the_answer_given_in_the_portal_reaches_google_and_nothing_else(
    connected, coordinator, google, client
):
    item, event = case_conference(google, connected)
    before = google_copy(google, item["id"])
    forget_requests(google)

    answer = client.post(f"/calendar/events/{event.id}/answer", data={"response": "accepted"})
    assert answer.status_code in (200, 302, 303), answer.text
    push(coordinator.id)

    after = google_copy(google, item["id"])
    assert own_answer(after) == "accepted"
    assert {name: after.get(name) for name in SHARED} == {name: before.get(name) for name in SHARED}
    assert others(after) == others(before)
    [body] = patches(google)
    assert set(body) == {"attendees"}
    assert portal_copy(item["id"]).response_status == "accepted"
    assert messages(kind="push")[-1] == "“Case conference” updated in Google"
    assert not messages(outcome="not_taken") and not pending_outbox()
    # The echo of the answer changes nothing here.
    version = portal_copy(item["id"]).version
    pull(connected)
    assert portal_copy(item["id"]).version == version


def test_the_organisers_change_reaches_the_portal(connected, coordinator, google, client):
    item, event = case_conference(google, connected)
    client.post(f"/calendar/events/{event.id}/answer", data={"response": "tentative"})
    push(coordinator.id)

    later = SOON + timedelta(days=1, hours=2)
    organiser_changes(google, item["id"], {"summary": "Case conference (moved)", **timed(later)})
    pull(connected)

    event = portal_copy(item["id"])
    assert (event.title, event.start_at, event.end_at) == (
        "Case conference (moved)",
        later,
        later + timedelta(hours=1),
    )
    # The organiser's change keeps the coordinator's answer, in Google and here.
    assert event.response_status == "tentative"
    assert own_answer(google_copy(google, item["id"])) == "tentative"
    assert event.google_kind == INVITATION and not pending_outbox()


def test_a_decline_given_in_google_reaches_the_portal(connected, google):
    item, _ = case_conference(google, connected)
    user_changes(
        google, item["id"], {"attendees": [{"email": GOOGLE_USER, "responseStatus": "declined"}]}
    )
    pull(connected)

    event = portal_copy(item["id"])
    assert event.response_status == "declined" and event.deleted_at is None
    assert event.title == "Case conference" and not pending_outbox()


def test_a_portal_only_change_to_an_invitation_asks_nothing_of_google(
    connected, coordinator, google
):
    # The organiser's event starts in Sydney and ends in Perth (a flight, say): the portal
    # keeps one zone, and that is no change of the coordinator's.
    flight = timed(SOON, minutes=300)
    flight["end"]["timeZone"] = "Australia/Perth"
    item = invited(google, {"summary": "Flight with the team", **flight})
    pull(connected)
    forget_requests(google)

    change(portal_copy(item["id"]), internal_notes="Claim the travel time")
    push(coordinator.id)

    assert google.state.request_counts() == {}
    assert not messages(outcome="not_taken") and not pending_outbox()
    event = portal_copy(item["id"])
    assert link_of(event).synced_version == event.version


def test_an_edit_google_ignores_is_shown_and_google_s_title_stands(connected, coordinator, google):
    item, event = case_conference(google, connected)
    forget_requests(google)

    # An older form, or a script, forces a new title on an invitation.
    change(event, title="My own name for it")
    push(coordinator.id)

    after = google_copy(google, item["id"])
    assert after["summary"] == "Case conference"
    assert portal_copy(item["id"]).title == "Case conference"
    [refusal] = messages(outcome="not_taken")
    assert "title" in refusal and "Case conference" in refusal
    assert not [m for m in messages() if "updated in Google" in m]
    assert not pending_outbox()
    assert link_of(event).synced_version == portal_copy(item["id"]).version
    # Nothing else was written in Google either.
    assert {name: after.get(name) for name in SHARED} == {name: item.get(name) for name in SHARED}


@pytest.mark.parametrize("organiser_first", [False, True])
def test_an_answer_waiting_for_google_and_the_organisers_change_both_stand(
    connected, coordinator, google, client, organiser_first
):
    item, event = case_conference(google, connected)
    renamed = {"summary": "Case conference (agenda changed)"}
    if organiser_first:
        organiser_changes(google, item["id"], renamed)
    # Google is unavailable when the coordinator answers: the answer waits in the outbox.
    google.state.add_fault("calendar.events.patch", 503, count=20)
    client.post(f"/calendar/events/{event.id}/answer", data={"response": "accepted"})
    run_jobs()
    assert pending_outbox()
    if not organiser_first:
        organiser_changes(google, item["id"], renamed)

    pull(connected)
    google.state.clear_faults()
    push(coordinator.id)

    # The organiser's change is theirs, the answer the coordinator's: whichever came
    # later, both stand, and nothing is reported as not taken.
    after = google_copy(google, item["id"])
    assert (after["summary"], own_answer(after)) == (renamed["summary"], "accepted")
    event = portal_copy(item["id"])
    assert (event.title, event.response_status) == (renamed["summary"], "accepted")
    assert not messages(outcome="not_taken") and not pending_outbox()


def test_an_invitation_cancelled_while_an_ignored_edit_waited_is_gone_here_too(
    connected, coordinator, google
):
    item, event = case_conference(google, connected)
    change(event, title="My own name for it")
    control(google, "DELETE", f"/calendars/{GOOGLE_USER}/invitations/{item['id']}")
    forget_requests(google)

    push(coordinator.id)

    assert patches(google) == []
    event = portal_copy(item["id"])
    assert event.deleted_by == "google" and event.deleted_at is not None
    assert not pending_outbox()
