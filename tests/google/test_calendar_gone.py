"""The synced calendar deleted or unshared in Google: the connection stops at once, keeps the
portal's changes, and they go to the calendar the coordinator chooses next."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
import requests
from sqlalchemy import select

from portal.calendar.operations import EventData, update_event
from portal.extensions import db
from portal.google.worker import jobs
from portal.google.worker.enqueue import enqueue_pull, kick
from portal.models import Event, GoogleConnection, WatchChannel
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import SOON, activity, fresh, live_events, pending_outbox
from tests.google.test_sync_push import add_event
from tests.support.worker import failed_jobs, queued_jobs, run_jobs

HTMX = {"HX-Request": "true"}
GONE_WORDS = "was deleted or is no longer shared with you"


@pytest.fixture
def work(connected, coordinator, google, client) -> str:
    """The coordinator syncs with a secondary calendar “Work appointments”, holding one of
    their portal events."""
    calendar_id = google.state.add_calendar(GOOGLE_USER, "Work appointments")
    assert client.post("/google/calendar", data={"calendar_id": calendar_id}).status_code == 302
    add_event(coordinator, title="Home visit with Jordan")
    run_jobs()
    assert fresh(connected).state == "connected"
    assert [i["summary"] for i in google.state.list_events(calendar_id)] == [
        "Home visit with Jordan"
    ]
    return calendar_id


def emulator(google, method: str, path: str) -> requests.Response:
    """Use the emulator's control API, as a test or a demo does."""
    answer = requests.request(method, f"{google.url}/_emulator{path}", timeout=10)
    assert answer.status_code < 300, answer.text
    return answer


def calls_on(google, calendar_id: str) -> list[dict]:
    """The Calendar API requests on one calendar since the log was last emptied."""
    log = emulator(google, "GET", "/requests").json()
    return [e for e in log if f"/calendars/{calendar_id}" in e["path"] or e["in_batch"]]


def edit(event_id: int, coordinator, title: str) -> None:
    """The coordinator renames an event in the portal (an outbox row, then the push hook)."""
    event = db.session.get(Event, event_id)
    update_event(
        event,
        EventData(
            title=title,
            time_zone="Australia/Sydney",
            start_at=SOON + timedelta(hours=1),
            end_at=SOON + timedelta(hours=2),
        ),
    )
    db.session.commit()
    kick(coordinator.id)


def test_a_deleted_calendar_stops_the_connection_at_once_and_keeps_the_changes(
    connected, coordinator, google, work
):
    [visit] = live_events(coordinator.id)
    emulator(google, "DELETE", f"/calendars/{work}")
    emulator(google, "DELETE", "/requests")

    edit(visit.id, coordinator, "Home visit (moved)")
    add_event(coordinator, title="Case conference")
    run_jobs()

    connection = fresh(connected)
    assert connection.state == "calendar_gone" and connection.is_linked
    assert not connection.is_active and connection.queues_changes
    # One batch (both parts refused), one single write, one look at the calendar: no storm.
    assert len(calls_on(google, work)) <= 5, calls_on(google, work)
    assert failed_jobs() == [] and queued_jobs() == []
    # Nothing was closed as refused, nothing tombstoned as "deleted in Google".
    rows = pending_outbox()
    assert len({row.event_id for row in rows}) == 2
    assert all(row.last_error is None for row in rows)
    assert sorted(e.title for e in live_events(coordinator.id)) == [
        "Case conference",
        "Home visit (moved)",
    ]
    assert not [row for row in activity() if row.message.startswith("Google refused")]
    channels = db.session.scalars(select(WatchChannel)).all()
    assert channels and all(channel.stopped_at is not None for channel in channels)


def test_nothing_talks_to_the_lost_calendar_afterwards(connected, coordinator, google, work):
    connection_id = connected.id
    emulator(google, "POST", f"/calendars/{work}/unshare")
    enqueue_pull(connection_id)
    run_jobs()
    assert fresh(connected).state == "calendar_gone"
    assert [e["method"] for e in calls_on(google, work)][-1] == "calendar.events.list"
    emulator(google, "DELETE", "/requests")

    add_event(coordinator, title="Phone call")
    enqueue_pull(connection_id)
    # The clock's work: the safety net, the outbox sweep and the channel upkeep.
    db.session.execute(
        GoogleConnection.__table__.update().values(last_sync_at=SOON - timedelta(days=30))
    )
    db.session.commit()
    assert jobs.safety_net_job() == 0
    assert jobs.sweep_job() == 0
    assert jobs.channels_job()["renewing"] == 0
    run_jobs()

    assert calls_on(google, work) == []
    assert db.session.get(GoogleConnection, connection_id).state == "calendar_gone"
    assert [row.event_id for row in pending_outbox()]


def test_the_card_the_banner_and_the_check_say_what_happened(
    connected, coordinator, google, work, client
):
    emulator(google, "DELETE", f"/calendars/{work}")
    [visit] = live_events(coordinator.id)
    edit(visit.id, coordinator, "Home visit (moved)")
    run_jobs()

    card = unescape(client.get("/portal/integrations/google/card", headers=HTMX).text)
    assert 'data-state="calendar_gone"' in card
    assert f"Your Google calendar “Work appointments” {GONE_WORDS}" in card
    assert "Changes made here are kept and will go to the calendar you choose." in card
    assert "1 event changed here waits for the calendar you choose." in card
    assert 'id="google-choose-calendar"' in card and "Choose another calendar" in card
    assert "Sync now" not in card

    page = unescape(client.get("/participants/").text)
    assert 'id="google-calendar-gone-banner"' in page and GONE_WORDS in page

    checks = unescape(client.post("/help/check", headers=HTMX).text)
    assert GONE_WORDS in checks and "Choose another calendar" in checks


def test_changes_made_while_it_was_gone_reach_the_calendar_chosen_next(
    connected, coordinator, google, work, client
):
    [visit] = live_events(coordinator.id)
    emulator(google, "DELETE", f"/calendars/{work}")
    edit(visit.id, coordinator, "Home visit (moved)")
    run_jobs()
    assert fresh(connected).state == "calendar_gone"
    picker = client.get("/google/calendar", headers=HTMX).text
    assert "Work appointments" not in picker.split("</legend>")[1]
    edit(visit.id, coordinator, "Home visit (moved again)")

    assert client.post("/google/calendar", data={"calendar_id": GOOGLE_USER}).status_code == 302
    run_jobs()

    connection = fresh(connected)
    assert (connection.state, connection.calendar_id, connection.last_error) == (
        "connected",
        GOOGLE_USER,
        None,
    )
    assert [i["summary"] for i in google.state.list_events(GOOGLE_USER)] == [
        "Home visit (moved again)"
    ]
    assert pending_outbox() == []
    assert fresh(connected).state == "connected"


def test_the_same_calendar_back_in_google_can_be_chosen_again(
    connected, coordinator, google, work, client
):
    [visit] = live_events(coordinator.id)
    emulator(google, "POST", f"/calendars/{work}/unshare")
    edit(visit.id, coordinator, "Home visit (moved)")
    run_jobs()
    assert fresh(connected).state == "calendar_gone"
    emulator(google, "POST", f"/calendars/{work}/restore")

    picker = client.get("/google/calendar", headers=HTMX).text
    assert f'value="{work}" checked' in picker
    assert client.post("/google/calendar", data={"calendar_id": work}).status_code == 302
    run_jobs()

    assert fresh(connected).state == "connected"
    # The same copy, changed: not a second one.
    assert [i["summary"] for i in google.state.list_events(work)] == ["Home visit (moved)"]
    assert pending_outbox() == []
    # Listening again: the old channel stays silent at Google, a new one was opened.
    channels = emulator(google, "GET", "/channels").json()
    assert len([c for c in channels if not (c["stopped"] or c["silenced"] or c["expired"])]) == 1
    assert [
        c.calendar_id for c in db.session.scalars(select(WatchChannel)) if not c.stopped_at
    ] == [work]
    assert "Syncing with “Work appointments” again" in activity("connect")[-1].message


def test_one_event_google_cannot_find_is_still_only_that_event(
    connected, coordinator, google, work
):
    [visit] = live_events(coordinator.id)
    # Google answers 404 for this one event only (gone there); the calendar is fine.
    google.state.add_fault("calendar.events.patch", 404, "notFound")
    edit(visit.id, coordinator, "Home visit (moved)")
    run_jobs()

    assert fresh(connected).state == "connected"
    assert db.session.get(Event, visit.id).deleted_by == "google"
    # One look at the calendar told the event's 404 from the calendar's.
    looks = [c for c in google.calls("calendar.events.list") if c["query"].get("maxResults") == "1"]
    assert len(looks) == 1 and looks[0]["status"] == 200


@pytest.mark.parametrize("reason", ["quotaExceeded", "rateLimitExceeded"])
def test_a_usage_limit_is_not_a_lost_calendar(connected, google, work, reason):
    google.state.add_fault("calendar.events.list", 403, reason, count=5)
    enqueue_pull(connected.id)
    run_jobs()
    assert fresh(connected).state == "connected"


def test_a_calendar_that_no_longer_lets_the_account_write_stops_the_connection(
    connected, coordinator, google, work
):
    google.state.add_fault("calendar.events.insert", 403, "requiredAccessLevel", count=5)
    google.state.clear_request_log()
    add_event(coordinator, title="Case conference")
    run_jobs()

    connection = fresh(connected)
    assert connection.state == "calendar_gone"
    assert "no longer lets you make changes" in connection.last_error
    assert google.count("calendar.events.insert") == 1
    assert [row.last_error for row in pending_outbox()] == [None]
