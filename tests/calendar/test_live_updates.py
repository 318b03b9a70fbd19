"""Live updates: the week's fingerprint moves exactly when what the week shows may have changed.

The #week region carries a poller with the fingerprint the week was drawn with; every second it
asks GET /calendar/fingerprint?week=…&seen=…: 204 while unchanged, otherwise 200 with
HX-Trigger: calendarChanged, and the region reloads itself (and its poller, with the new value).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from portal.calendar.layout import monday_of
from portal.calendar.timeutil import to_local
from portal.extensions import db
from portal.google.worker.enqueue import enqueue_pull
from portal.models import Event, utcnow
from tests import factories
from tests.calendar.pages import HTMX
from tests.calendar.test_event_routes import event_form
from tests.google import conftest as google_side
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import SOON, timed
from tests.support.worker import run_jobs

# The Google-side fixtures (tests/google/conftest.py is not a conftest of this folder).
config_overrides = google_side.config_overrides
google_emulator_server = google_side.google_emulator_server
public_base_url = google_side.public_base_url
google = google_side.google
connect_flow = google_side.connect_flow
connected = google_side.connected

WEEK = "2026-10-05"  # Monday 5 – Sunday 11 October 2026
MONDAY_9AM_SYDNEY = datetime(2026, 10, 4, 22, tzinfo=UTC)


def poll(client, week: str = WEEK, seen: str | None = None):
    """One tick of the poller, as htmx sends it."""
    query = f"week={week}" + (f"&seen={seen}" if seen is not None else "")
    return client.get(f"/calendar/fingerprint?{query}", headers=HTMX)


def fingerprint(client, week: str = WEEK) -> str:
    """The fingerprint the week region carries, as its reload (an htmx request) draws it."""
    region = client.get(f"/calendar?week={week}", headers=HTMX)
    assert region.status_code == 200, region.text
    return re.search(r"seen=([0-9a-f]+)", region.text).group(1)


def week_of(moment: datetime, zone: str = "Australia/Sydney") -> str:
    return monday_of(to_local(moment, zone).date().isoformat(), date.today()).isoformat()


# The protocol


def test_the_week_region_carries_its_poller_and_the_edit_form_lives_outside_it(client, coordinator):
    region = client.get(f"/calendar?week={WEEK}", headers=HTMX).text
    poller = re.search(r'<div id="week-poller"[^>]*>', region).group(0)
    assert 'hx-trigger="every 1s"' in poller and 'hx-swap="none"' in poller
    assert f"week={WEEK}" in poller and "seen=" in poller
    assert 'id="modal"' not in region  # a reload never touches an open form
    assert 'id="modal"' in client.get(f"/calendar?week={WEEK}").text


def test_the_fingerprint_a_week_is_drawn_with_is_the_current_one(client, coordinator):
    response = poll(client, seen=fingerprint(client))
    assert response.status_code == 204 and response.headers["Cache-Control"] == "no-store"


def test_a_poll_without_a_fingerprint_is_told_to_reload(client, coordinator):
    response = poll(client)
    assert response.status_code == 200 and response.data == b""
    assert response.headers["HX-Trigger"] == "calendarChanged"


def test_an_unchanged_week_answers_204_with_no_body(client, coordinator):
    factories.make_event(coordinator, "Home visit", MONDAY_9AM_SYDNEY)
    db.session.commit()
    seen = fingerprint(client)
    for _ in range(3):
        response = poll(client, seen=seen)
        assert response.status_code == 204 and response.data == b""
        assert "HX-Trigger" not in response.headers
    assert fingerprint(client) == seen


def test_a_stale_fingerprint_is_told_to_reload_and_the_reload_brings_the_new_one(
    client, coordinator
):
    seen = fingerprint(client)
    factories.make_event(coordinator, "Home visit", MONDAY_9AM_SYDNEY)
    db.session.commit()
    response = poll(client, seen=seen)
    assert response.status_code == 200 and response.data == b""
    assert response.headers["HX-Trigger"] == "calendarChanged"
    assert poll(client, seen=fingerprint(client)).status_code == 204


def test_a_change_landing_while_the_week_is_read_is_never_missed(client, coordinator, monkeypatch):
    # The fingerprint is taken before the week is read: a change committed in between makes
    # the next poll reload (once too often at worst) instead of leaving a stale week.
    from portal.calendar import week_routes

    real = week_routes.visible_events_in_week

    def read_then_a_change_lands(*args):
        events = real(*args)
        factories.make_event(coordinator, "Landed meanwhile", MONDAY_9AM_SYDNEY)
        db.session.commit()
        return events

    monkeypatch.setattr(week_routes, "visible_events_in_week", read_then_a_change_lands)
    seen = fingerprint(client)
    monkeypatch.undo()
    assert poll(client, seen=seen).headers.get("HX-Trigger") == "calendarChanged"


def test_each_week_has_its_own_fingerprint_even_when_both_are_empty(client, coordinator):
    # A value drawn for another week (a page restored from history, say) never passes here.
    assert fingerprint(client, "2026-10-05") != fingerprint(client, "2026-10-12")


# What moves the fingerprint: changes made in the portal


def test_creating_editing_and_deleting_in_the_portal_each_change_it(client, coordinator):
    before = fingerprint(client)
    assert client.post("/calendar/events", data=event_form(), headers=HTMX).status_code == 200
    created = fingerprint(client)
    assert created != before

    [event_id] = db.session.scalars(select(Event.id)).all()
    form = event_form(title="Home visit (moved room)")
    assert client.post(f"/calendar/events/{event_id}", data=form, headers=HTMX).status_code == 200
    edited = fingerprint(client)
    assert edited not in (before, created)

    assert client.post(f"/calendar/events/{event_id}/delete", headers=HTMX).status_code == 200
    deleted = fingerprint(client)
    assert deleted != edited
    # The week looks as it did before the event existed, and so does its fingerprint.
    assert deleted == before


def test_an_event_moving_into_or_out_of_the_week_changes_it(client, coordinator):
    visit = factories.make_event(coordinator, "Home visit", MONDAY_9AM_SYDNEY)
    db.session.commit()
    here, next_week = fingerprint(client), fingerprint(client, "2026-10-12")
    moved = event_form(start="2026-10-12T09:00", end="2026-10-12T10:00")
    assert client.post(f"/calendar/events/{visit.id}", data=moved, headers=HTMX).status_code == 200
    assert fingerprint(client) != here
    assert fingerprint(client, "2026-10-12") != next_week


def test_renaming_a_participant_shown_in_the_week_changes_it(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id, name="Jordan Lee")
    factories.make_event(coordinator, "Home visit", MONDAY_9AM_SYDNEY, participant=jordan)
    db.session.commit()
    before = fingerprint(client)
    jordan.name = "Jordan Lee-Smith"  # shown in the grid; the row's updated_at moves with it
    db.session.commit()
    assert fingerprint(client) != before


def test_all_day_events_count_as_dates_whatever_the_zone(client, coordinator):
    before = fingerprint(client)
    factories.make_all_day_event(coordinator, "Report due", date(2026, 10, 11))
    db.session.commit()
    assert fingerprint(client) != before


def test_a_series_that_began_weeks_ago_moves_it_when_edited_or_an_occurrence_is_cancelled(
    client, coordinator
):
    weekly = factories.make_event(
        coordinator,
        "Weekly check-in",
        MONDAY_9AM_SYDNEY - timedelta(weeks=4),
        recurrence="RRULE:FREQ=WEEKLY",
    )
    db.session.commit()
    before = fingerprint(client)

    weekly.title, weekly.version = "Weekly check-in (phone)", weekly.version + 1
    db.session.commit()
    edited = fingerprint(client)
    assert edited != before

    # Cancelling this week's occurrence writes a tombstoned exception.
    factories.make_event(
        coordinator,
        weekly.title,
        MONDAY_9AM_SYDNEY,
        series_id=weekly.id,
        original_start_at=MONDAY_9AM_SYDNEY,
        deleted_at=utcnow(),
        deleted_by="portal",
    )
    db.session.commit()
    assert fingerprint(client) != edited


# What does not move it


def test_changes_outside_the_week_leave_it_alone(client, coordinator):
    before = fingerprint(client)
    factories.make_event(coordinator, "Next week", MONDAY_9AM_SYDNEY + timedelta(days=7))
    factories.make_event(coordinator, "Last week", MONDAY_9AM_SYDNEY - timedelta(days=7))
    db.session.commit()
    assert fingerprint(client) == before


def test_a_series_that_begins_after_the_week_leaves_it_alone(client, coordinator):
    before = fingerprint(client)
    factories.make_event(
        coordinator,
        "Later series",
        MONDAY_9AM_SYDNEY + timedelta(weeks=2),
        recurrence="RRULE:FREQ=DAILY",
    )
    db.session.commit()
    assert fingerprint(client) == before


def test_another_business_and_a_colleague_do_not_move_my_fingerprint(
    client, coordinator, other_business_user
):
    before = fingerprint(client)
    factories.make_event(other_business_user, "Their visit", MONDAY_9AM_SYDNEY)
    colleague = factories.make_user(business=coordinator.business, email="sam@example.com")
    factories.make_event(colleague, "Sam's visit", MONDAY_9AM_SYDNEY)
    db.session.commit()
    assert fingerprint(client) == before


def test_the_fingerprint_needs_a_login_and_sends_the_page_to_it(client, app):
    response = poll(client)
    assert response.status_code == 401 and response.data == b""
    # htmx reloads the page, which redirects to the login form (no login page in the poller).
    assert response.headers["HX-Refresh"] == "true"


# Cheap: one query per poll


def test_a_poll_costs_one_sql_query_besides_loading_the_user(client, coordinator):
    for hour in range(5):
        factories.make_event(
            coordinator, f"Visit {hour}", MONDAY_9AM_SYDNEY + timedelta(hours=hour)
        )
    db.session.commit()
    seen = fingerprint(client)
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert poll(client, seen=seen).status_code == 204
        assert poll(client, seen="stale").status_code == 200
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listener)
    # The session's user load may be served from the test's own session; nothing else may run.
    user_loads = [s for s in statements if re.search(r'FROM "?user"?\s', s)]
    fingerprints = [s for s in statements if "count(event.id)" in s]
    assert len(fingerprints) == 2 and len(user_loads) <= 2
    assert len(statements) == len(fingerprints) + len(user_loads), statements


# Changes applied from Google


@pytest.fixture
def pulled(connected):
    """Pull Google's changes as the worker does after a notification."""

    def pull() -> None:
        enqueue_pull(connected.id)
        run_jobs()

    return pull


def test_changes_pulled_from_google_change_it(client, google, pulled):
    week = week_of(SOON)
    before = fingerprint(client, week)
    added = google.state.user_insert_event(GOOGLE_USER, {"summary": "Dentist", **timed(SOON)})
    pulled()
    created = fingerprint(client, week)
    assert created != before

    google.state.user_patch_event(GOOGLE_USER, added["id"], {"summary": "Dentist (moved)"})
    pulled()
    edited = fingerprint(client, week)
    assert edited != created

    google.state.user_delete_event(GOOGLE_USER, added["id"])
    pulled()
    assert fingerprint(client, week) not in (created, edited)


def test_a_pull_that_brings_nothing_new_leaves_it_alone(client, google, pulled):
    google.state.user_insert_event(GOOGLE_USER, {"summary": "Dentist", **timed(SOON)})
    pulled()
    before = fingerprint(client, week_of(SOON))
    pulled()
    assert fingerprint(client, week_of(SOON)) == before
