"""Choosing what Google sees: showing Google more is asked first, in words; showing it less
applies at once; either way the card says what was done, with the number of events."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import GoogleConnection
from tests.google import conftest as google_side
from tests.google.sync_support import link_of, pending_outbox
from tests.google.test_real_calendars import (
    SHOWN,
    google_copy,
    portal_event,
    push,
    shown_in_google,
)

# The Google-side fixtures (tests/google/conftest.py is not this folder's conftest).
config_overrides = google_side.config_overrides
google_emulator_server = google_side.google_emulator_server
google = google_side.google
connect_flow = google_side.connect_flow
connected = google_side.connected
public_base_url = google_side.public_base_url

HTMX = {"HX-Request": "true"}


def level_of(connection: GoogleConnection) -> str:
    db.session.expire_all()
    return db.session.get(GoogleConnection, connection.id).privacy_level


@pytest.mark.parametrize(("before", "after"), [("busy", "private_title"), ("busy", "full"),
                                               ("private_title", "full")])  # fmt: skip
def test_showing_google_more_asks_first_and_changes_nothing(
    connected, coordinator, google, client, before, after
):
    event = portal_event(coordinator, connected, before)
    answer = client.post("/google/privacy", data={"privacy_level": after}, headers=HTMX)

    assert answer.status_code == 200
    assert 'id="privacy-question"' in answer.text and 'id="privacy-confirm"' in answer.text
    assert "Google will see the title" in answer.text
    assert level_of(connected) == before and not pending_outbox()
    push(coordinator.id)
    assert google_copy(google, link_of(event).google_event_id)["summary"] == SHOWN[before][0]


def test_yes_applies_the_wider_level_and_says_how_many_events_changed(
    connected, coordinator, google, client
):
    event = portal_event(coordinator, connected, "busy")
    data = {"privacy_level": "full", "confirm": "y"}
    answer = client.post("/google/privacy", data=data, headers=HTMX)

    assert 'id="privacy-message"' in answer.text
    assert "Google now sees titles, times, locations and notes; 1 event updated." in answer.text
    assert level_of(connected) == "full"
    push(coordinator.id)
    copy = google_copy(google, link_of(event).google_event_id)
    assert shown_in_google(copy) == SHOWN["full"]


def test_showing_google_less_applies_at_once_with_the_count(connected, coordinator, google, client):
    event = portal_event(coordinator, connected, "full")
    answer = client.post("/google/privacy", data={"privacy_level": "private_title"}, headers=HTMX)

    assert 'id="privacy-question"' not in answer.text
    assert "Google now sees titles and times only; 1 event updated." in answer.text
    assert level_of(connected) == "private_title"
    push(coordinator.id)
    copy = google_copy(google, link_of(event).google_event_id)
    assert shown_in_google(copy) == SHOWN["private_title"]


def test_without_events_the_message_says_nothing_needed_updating(connected, client):
    answer = client.post("/google/privacy", data={"privacy_level": "busy"}, headers=HTMX)
    assert "No events in Google needed updating." in answer.text


def test_the_same_level_again_changes_and_says_nothing(connected, client):
    answer = client.post(
        "/google/privacy", data={"privacy_level": connected.privacy_level}, headers=HTMX
    )
    assert 'id="privacy-message"' not in answer.text and 'id="privacy-question"' not in answer.text


def test_without_htmx_the_question_is_a_page_and_the_result_a_message(connected, client):
    page = client.post("/google/privacy", data={"privacy_level": "full"})
    assert page.status_code == 200 and 'id="privacy-question"' in page.text
    done = client.post(
        "/google/privacy", data={"privacy_level": "full", "confirm": "y"}, follow_redirects=True
    )
    assert "Google now sees titles, times, locations and notes" in done.text
    assert level_of(connected) == "full"
