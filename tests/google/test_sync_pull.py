"""Pull: Google's changes reach the portal with nothing duplicated, lost or resurrected."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete as sa_delete
from sqlalchemy import select

from portal.calendar.operations import EventData, update_event
from portal.extensions import db
from portal.google.account.clients import client_for
from portal.google.sync.pull import pull_changes
from portal.google.worker.enqueue import enqueue_pull, kick
from portal.models import Event, GoogleConnection
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import (
    SOON,
    activity,
    fresh,
    google_events,
    link_of,
    live_events,
    pending_outbox,
    timed,
)
from tests.support.worker import run_jobs


def google_adds(google, summary: str, start: datetime = SOON, **fields) -> dict:
    """The coordinator adds an event in Google Calendar."""
    return google.state.user_insert_event(
        GOOGLE_USER, {"summary": summary, **timed(start), **fields}
    )


def pull(connection) -> None:
    enqueue_pull(connection.id)
    run_jobs()


def test_the_initial_import_brings_every_event_in_the_window_with_paging(
    coordinator, connect_flow, google
):
    google.state.configure(page_size_cap=3)
    for day in range(7):
        google_adds(google, f"Personal {day}", SOON + timedelta(days=day))
    # An all-day event a season ahead: inside the window on any day the suite runs.
    plan_ends = SOON.date() + timedelta(days=90)
    google.state.user_insert_event(
        GOOGLE_USER,
        {
            "summary": "Plan ends",
            "start": {"date": plan_ends.isoformat()},
            "end": {"date": (plan_ends + timedelta(days=1)).isoformat()},
        },
    )
    google_adds(google, "Long ago", datetime.now(UTC) - timedelta(days=200))
    connect_flow.run()
    run_jobs()
    titles = sorted(e.title for e in live_events(coordinator.id))
    assert titles == sorted([f"Personal {d}" for d in range(7)] + ["Plan ends"])
    connection = db.session.scalar(select(GoogleConnection))
    assert connection.state == "connected" and connection.sync_token
    assert connection.import_count == 8
    # The window starts 90 days back; one list call per page, then the one incremental pull
    # that closes the gap once the channel listens, no more.
    listing = google.calls("calendar.events.list")
    assert len(listing) == math.ceil(8 / 3) + 1
    assert all("timeMin" in c["query"] for c in listing[:-1])
    assert "syncToken" in listing[-1]["query"]
    all_day = next(e for e in live_events(coordinator.id) if e.title == "Plan ends")
    assert (all_day.all_day, all_day.start_date, all_day.end_date) == (
        True,
        plan_ends,
        plan_ends + timedelta(days=1),
    )


def test_an_idle_incremental_pull_is_exactly_one_call(connected, google):
    google.state.clear_request_log()
    pull(connected)
    assert google.state.request_counts() == {"calendar.events.list": 1}


def test_google_edits_and_deletions_arrive_and_deletions_are_kept_as_records(
    connected, coordinator, google
):
    item = google_adds(google, "Dentist")
    pull(connected)
    [event] = live_events(coordinator.id)
    assert (event.title, event.origin) == ("Dentist", "google")
    google.state.user_patch_event(
        GOOGLE_USER, item["id"], {"summary": "Dentist (moved)", **timed(SOON + timedelta(hours=3))}
    )
    pull(connected)
    [event] = live_events(coordinator.id)
    assert event.title == "Dentist (moved)"
    assert event.start_at == SOON + timedelta(hours=3)
    google.state.user_delete_event(GOOGLE_USER, item["id"])
    pull(connected)
    assert live_events(coordinator.id) == []
    kept = db.session.get(Event, event.id)
    assert kept.deleted_by == "google" and kept.deleted_at is not None
    # Pulling changes never writes to the outbox: no echo back to Google.
    assert not pending_outbox()
    assert google.count("calendar.events.patch") == google.count("calendar.events.insert") == 0


def test_a_crash_mid_pull_keeps_the_old_token_and_the_next_pull_misses_nothing(
    app, connected, coordinator, google
):
    google.state.configure(page_size_cap=2)
    for n in range(5):
        google_adds(google, f"Change {n}", SOON + timedelta(hours=n))
    token = fresh(connected).sync_token

    def crash_after_first_page() -> None:
        db.session.commit()
        raise RuntimeError("worker died")

    connection = fresh(connected)
    with pytest.raises(RuntimeError):
        pull_changes(connection, client_for(connection), checkpoint=crash_after_first_page)
    db.session.rollback()
    assert fresh(connected).sync_token == token
    pull(connected)
    assert sorted(e.title for e in live_events(coordinator.id)) == [f"Change {n}" for n in range(5)]
    assert fresh(connected).sync_token != token


def test_a_410_mid_pagination_falls_back_to_a_full_sync_without_duplicates(
    connected, coordinator, google
):
    google.state.configure(page_size_cap=2)
    kept = [google_adds(google, f"Kept {n}", SOON + timedelta(hours=n)) for n in range(3)]
    pull(connected)
    doomed = google_adds(google, "Doomed")
    for n in range(3):
        google_adds(google, f"New {n}", SOON + timedelta(days=1, hours=n))
    google.state.user_delete_event(GOOGLE_USER, doomed["id"])
    pages = []

    def invalidate_after_first_page() -> None:
        db.session.commit()
        pages.append(1)
        if len(pages) == 1:
            google.state.invalidate_sync_tokens(GOOGLE_USER)

    connection = fresh(connected)
    pull_changes(connection, client_for(connection), checkpoint=invalidate_after_first_page)
    db.session.commit()
    titles = sorted(e.title for e in live_events(coordinator.id))
    assert titles == sorted([f"Kept {n}" for n in range(3)] + [f"New {n}" for n in range(3)])
    assert len(titles) == len(set(titles))
    assert [e["id"] for e in google_events(google)]  # Google untouched by the pull
    assert {k["id"] for k in kept} <= {
        link_of(e).google_event_id for e in live_events(coordinator.id)
    }


def test_a_full_resync_treats_events_missing_from_the_window_as_deleted(
    connected, coordinator, google
):
    item = google_adds(google, "Will vanish")
    google_adds(google, "Stays")
    pull(connected)
    # Google deleted it and then forgot the deletion; only absence tells us.
    google.state.user_delete_event(GOOGLE_USER, item["id"])
    google.state.invalidate_sync_tokens(GOOGLE_USER)
    connection = fresh(connected)
    connection.sync_token = "expired-token"
    db.session.commit()
    pull(connected)
    assert [e.title for e in live_events(coordinator.id)] == ["Stays"]


def test_a_conflict_keeps_the_later_change_and_saves_the_loser(connected, coordinator, google):
    item = google_adds(google, "Team meeting")
    pull(connected)
    [event] = live_events(coordinator.id)
    # The portal changes it first; Google's edit comes later, so Google's wins.
    update_event(
        event,
        EventData(
            title="Team meeting (portal)",
            time_zone="Australia/Sydney",
            start_at=event.start_at,
            end_at=event.end_at,
        ),
    )
    event.updated_at = datetime.now(UTC) - timedelta(minutes=5)
    db.session.commit()
    google.state.user_patch_event(GOOGLE_USER, item["id"], {"summary": "Team meeting (Google)"})
    pull(connected)
    [event] = live_events(coordinator.id)
    assert event.title == "Team meeting (Google)"
    [conflict] = activity("conflict")
    assert conflict.detail["winner"] == "google"
    assert conflict.detail["loser"]["title"] == "Team meeting (portal)"
    run_jobs()  # the stale outbox row pushes nothing over Google's version
    assert google_events(google)[0]["summary"] == "Team meeting (Google)"


def test_a_later_portal_change_wins_a_conflict_and_reaches_google(connected, coordinator, google):
    item = google_adds(google, "Case conference")
    pull(connected)
    [event] = live_events(coordinator.id)
    google.state.user_patch_event(GOOGLE_USER, item["id"], {"summary": "Case conference (Google)"})
    update_event(
        event,
        EventData(
            title="Case conference (portal)",
            time_zone="Australia/Sydney",
            start_at=event.start_at,
            end_at=event.end_at,
        ),
    )
    event.updated_at = datetime.now(UTC) + timedelta(seconds=5)
    db.session.commit()
    pull(connected)
    kick(coordinator.id)
    run_jobs()
    assert google_events(google)[0]["summary"] == "Case conference (portal)"
    [conflict] = activity("conflict")
    assert conflict.detail["winner"] == "portal"
    assert conflict.detail["loser"]["title"] == "Case conference (Google)"


def test_a_field_the_portal_did_not_send_is_never_pulled_back(connected, coordinator, google):
    from tests.google.test_sync_push import add_event

    connected.privacy_level = "busy"
    db.session.commit()
    event = add_event(coordinator, title="Visit Jordan", location="Parramatta", notes="Bring forms")
    run_jobs()
    google_id = link_of(event).google_event_id
    google.state.user_patch_event(
        GOOGLE_USER, google_id, {"location": "Somewhere else", **timed(SOON + timedelta(hours=1))}
    )
    pull(connected)
    stored = db.session.get(Event, event.id)
    assert (stored.title, stored.location, stored.notes) == (
        "Visit Jordan",
        "Parramatta",
        "Bring forms",
    )
    assert stored.start_at == SOON + timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "local_start", "utc_start"),
    [
        # Sydney moves to daylight time on Sunday 4 October 2026; Brisbane never does.
        ("Australia/Sydney", "2026-10-03T09:00:00+10:00", datetime(2026, 10, 2, 23, 0, tzinfo=UTC)),
        ("Australia/Sydney", "2026-10-05T09:00:00+11:00", datetime(2026, 10, 4, 22, 0, tzinfo=UTC)),
        (
            "Australia/Brisbane",
            "2026-10-05T09:00:00+10:00",
            datetime(2026, 10, 4, 23, 0, tzinfo=UTC),
        ),
        (
            "Australia/Adelaide",
            "2026-04-06T09:00:00+09:30",
            datetime(2026, 4, 5, 23, 30, tzinfo=UTC),
        ),
    ],
)
def test_times_round_trip_exactly_across_daylight_saving(
    connected, coordinator, google, zone, local_start, utc_start
):
    from tests.google.test_sync_push import add_event

    google.state.user_insert_event(
        GOOGLE_USER,
        {
            "summary": "From Google",
            "start": {"dateTime": local_start, "timeZone": zone},
            "end": {"dateTime": local_start.replace("T09", "T10"), "timeZone": zone},
        },
    )
    pull(connected)
    [imported] = live_events(coordinator.id)
    assert imported.start_at == utc_start
    assert imported.time_zone == zone
    ours = add_event(
        coordinator,
        title="From portal",
        time_zone=zone,
        start_at=utc_start,
        end_at=utc_start + timedelta(hours=1),
    )
    run_jobs()
    pushed = next(i for i in google_events(google) if i["summary"] == "From portal")
    assert pushed["start"] == {"dateTime": local_start, "timeZone": zone}
    assert db.session.get(Event, ours.id).start_at == utc_start


def test_connecting_when_both_sides_have_events_duplicates_nothing_even_twice(
    coordinator, connect_flow, google, client
):
    from portal.calendar.operations import create_event

    for n in range(2):
        create_event(
            coordinator,
            EventData(
                title=f"Portal visit {n}",
                time_zone="Australia/Sydney",
                start_at=SOON + timedelta(hours=n),
                end_at=SOON + timedelta(hours=n, minutes=30),
            ),
        )
    db.session.commit()
    google_adds(google, "Google dentist")
    connect_flow.run()
    run_jobs()
    expected = ["Google dentist", "Portal visit 0", "Portal visit 1"]
    assert sorted(e.title for e in live_events(coordinator.id)) == expected
    assert sorted(i["summary"] for i in google_events(google)) == expected
    # Disconnect keeping the events, then connect again: everything re-links, nothing doubles.
    client.post("/google/disconnect", data={"remove_events": "keep"})
    run_jobs()
    connect_flow.run()
    run_jobs()
    assert sorted(e.title for e in live_events(coordinator.id)) == expected
    assert sorted(i["summary"] for i in google_events(google)) == expected


def test_lost_links_are_found_again_by_our_private_property(connected, coordinator, google):
    from portal.models import EventLink
    from tests.google.test_sync_push import add_event

    add_event(coordinator, title="Case conference")
    run_jobs()
    # As after restoring an old backup: the portal forgot which Google event is whose.
    db.session.execute(sa_delete(EventLink))
    connection = fresh(connected)
    connection.sync_token = None
    db.session.commit()
    enqueue_pull(connected.id)
    run_jobs()
    assert [e.title for e in live_events(coordinator.id)] == ["Case conference"]
    assert [i["summary"] for i in google_events(google)] == ["Case conference"]
    assert activity("conflict") == []


def _rename_all_later(master: Event, title: str, recurrence=None) -> None:
    """The coordinator edits "all events" (the rule too, if given), later than Google did."""
    from portal.calendar.recurrence_ops import KEEP, edit_series

    data = replace(EventData.of(master), title=title)
    edit_series(master, data, KEEP if recurrence is None else recurrence)
    master.updated_at = datetime.now(UTC) + timedelta(seconds=5)
    db.session.commit()


def test_a_rule_only_google_changed_is_kept_when_the_portal_wins_the_conflict(
    connected, coordinator, google
):
    item = google_adds(google, "Group session", recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"])
    pull(connected)
    [master] = live_events(coordinator.id)
    # Google ends the series after two; the portal renames it before pulling that.
    ended = ["RRULE:FREQ=WEEKLY;COUNT=2"]
    google.state.user_patch_event(GOOGLE_USER, item["id"], {"recurrence": ended})
    _rename_all_later(master, "Group session (portal)")
    pull(connected)  # the conflict is met here, then the rename goes out
    kick(coordinator.id)
    run_jobs()
    [there] = google_events(google)
    assert there["summary"] == "Group session (portal)" and there["recurrence"] == ended
    db.session.expire_all()
    assert master.recurrence == ended[0]
    assert activity("conflict")[0].detail["winner"] == "portal"


def test_a_rule_both_sides_changed_is_the_later_one(connected, coordinator, google):
    item = google_adds(google, "Group session", recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"])
    pull(connected)
    [master] = live_events(coordinator.id)
    google.state.user_patch_event(
        GOOGLE_USER, item["id"], {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"]}
    )
    _rename_all_later(master, "Group session (portal)", "RRULE:FREQ=WEEKLY;COUNT=3")
    pull(connected)
    kick(coordinator.id)
    run_jobs()
    [there] = google_events(google)
    assert there["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3"]
    db.session.expire_all()
    assert master.recurrence == "RRULE:FREQ=WEEKLY;COUNT=3"
