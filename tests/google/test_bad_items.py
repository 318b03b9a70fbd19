"""One Google item the portal cannot apply never stops a sync: it is left out, shown with its
title and why, and the rest of the pull (and its sync token) goes through."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
import requests

from portal.extensions import db
from portal.models import GoogleConnection, SyncLog
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import SOON, activity, fresh, live_events, timed
from tests.google.test_sync_pull import google_adds, pull
from tests.support.worker import failed_jobs, run_jobs

HTMX = {"HX-Request": "true"}
NO_TIMES = "Google's copy has no readable start and end time"
# An event an old client or an import left with a start and no end: the API refuses to
# write one, so the emulator's control API stores it as given.
NO_END = {"summary": "Old import", "start": {"dateTime": SOON.isoformat()}}


def store_as_is(google, body: dict) -> dict:
    """Put an item into the coordinator's Google calendar exactly as given."""
    answer = requests.post(
        f"{google.url}/_emulator/calendars/{GOOGLE_USER}/raw-events", json=body, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def skips() -> list[SyncLog]:
    """The activity rows of items left out, oldest first."""
    return [row for row in activity("error") if row.outcome == "skipped"]


def test_an_item_that_cannot_be_read_is_left_out_and_the_rest_come_in(
    connected, coordinator, google
):
    token_before = connected.sync_token
    google_adds(google, "Dentist")
    bad = store_as_is(google, NO_END)
    google_adds(google, "Team lunch", SOON + timedelta(hours=3))

    pull(connected)

    assert sorted(e.title for e in live_events(coordinator.id)) == ["Dentist", "Team lunch"]
    connection = fresh(connected)
    assert connection.sync_token != token_before and connection.last_error is None
    assert failed_jobs() == []
    [row] = skips()
    assert row.google_event_id == bad["id"] and row.direction == "from_google"
    assert row.detail == {
        "google_event_id": bad["id"],
        "title": "Old import",
        "reason": NO_TIMES,
        "calendar_id": GOOGLE_USER,
    }
    assert row.message == f"“Old import” could not be brought in from Google: {NO_TIMES}"
    assert "Traceback" not in row.message and "KeyError" not in row.message


def test_the_next_pull_does_not_repeat_it_but_a_full_sync_tries_it_again(
    connected, coordinator, google
):
    store_as_is(google, NO_END)
    pull(connected)
    google.state.clear_request_log()

    pull(connected)
    [listing] = google.calls("calendar.events.list")
    assert listing["status"] == 200 and len(skips()) == 1

    google.state.invalidate_sync_tokens(GOOGLE_USER)
    pull(connected)
    # Tried again, still unreadable: the same row says so, not a second one.
    assert len(skips()) == 1 and skips()[0].reviewed is False
    assert fresh(connected).state == "connected"


def test_the_card_and_the_check_name_what_was_left_out(connected, google, client):
    store_as_is(google, NO_END)
    store_as_is(google, {**NO_END, "summary": "Older import"})
    pull(connected)

    card = unescape(client.get("/portal/integrations/google/card", headers=HTMX).text)
    assert "2 Google events could not be brought in:" in card
    assert f"“Old import” — {NO_TIMES}" in card and f"“Older import” — {NO_TIMES}" in card
    assert 'data-state="connected"' in card

    checks = unescape(client.post("/help/check", headers=HTMX).text)
    assert "2 Google events could not be brought in" in checks
    assert "Every Google event was brought in" in checks


def test_an_item_fixed_in_google_comes_in_and_is_no_longer_listed(
    connected, coordinator, google, client
):
    bad = store_as_is(google, NO_END)
    pull(connected)
    assert skips()

    # The coordinator gives it an end in Google Calendar.
    fixed = requests.patch(
        f"{google.url}/_emulator/calendars/{GOOGLE_USER}/events/{bad['id']}",
        json={**timed(SOON)},
        timeout=10,
    )
    assert fixed.status_code == 200, fixed.text
    pull(connected)

    assert [e.title for e in live_events(coordinator.id)] == ["Old import"]
    assert [row.reviewed for row in skips()] == [True]
    card = client.get("/portal/integrations/google/card", headers=HTMX).text
    assert "could not be brought in:" not in card


def test_an_import_leaves_the_bad_item_out_and_finishes(coordinator, connect_flow, google):
    google_adds(google, "Dentist")
    store_as_is(google, NO_END)

    connect_flow.run()
    run_jobs()

    connection = db.session.query(GoogleConnection).one()
    assert connection.state == "connected" and connection.sync_token
    assert [e.title for e in live_events(coordinator.id)] == ["Dentist"]
    [imported] = activity("import")
    assert imported.message == "Imported 1 event; 1 could not be brought in (see below)"
    assert [row.detail["title"] for row in skips()] == ["Old import"]


def test_an_item_that_fails_when_its_page_is_written_is_the_only_one_left_out(
    db_backend, connected, coordinator, google
):
    if db_backend == "sqlite":
        pytest.skip("SQLite stores NUL characters; PostgreSQL text cannot hold them")
    # Written by some client in Google: a NUL character, which PostgreSQL cannot store. It
    # fails only when the page's new events are written together, with the good ones.
    google_adds(google, "Dentist")
    google_adds(google, "Team\x00lunch", SOON + timedelta(hours=3))
    google_adds(google, "Supervision", SOON + timedelta(hours=5))

    pull(connected)

    assert sorted(e.title for e in live_events(coordinator.id)) == ["Dentist", "Supervision"]
    [row] = skips()
    assert row.detail["reason"] == (
        "some of its details are too long or hold characters Coordinoter cannot store"
    )
    assert fresh(connected).last_error is None
