"""Push: portal changes reach Google exactly once, in the privacy level's shape."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.calendar.operations import EventData, create_event, delete_event, update_event
from portal.extensions import db
from portal.google.sync.mapping import BUSY_TITLE
from portal.google.worker.enqueue import kick
from portal.models import Event
from tests import factories
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import (
    SOON,
    activity,
    fresh,
    google_events,
    link_of,
    live_events,
    pending_outbox,
)
from tests.support.worker import run_jobs


def add_event(user, **changes) -> Event:
    """Create an event through the calendar's own operation, commit, and kick the push."""
    values = {
        "title": "Home visit with Jordan",
        "time_zone": "Australia/Sydney",
        "start_at": SOON,
        "end_at": SOON + timedelta(hours=1),
        "event_type": "visit",
        **changes,
    }
    event = create_event(user, EventData(**values))
    db.session.commit()
    kick(user.id)
    return event


def test_a_portal_event_appears_on_google_once_with_our_id(connected, coordinator, google):
    event = add_event(coordinator)
    run_jobs()
    [item] = google_events(google)
    assert item["id"] == link_of(event).google_event_id
    assert item["id"].startswith("cn") and set(item["id"]) <= set(
        "0123456789abcdefghijklmnopqrstuv"
    )
    assert item["extendedProperties"]["private"]["coordinoterEventId"] == str(event.id)
    assert item["visibility"] == "private"
    assert item["start"]["timeZone"] == "Australia/Sydney"
    assert not pending_outbox()
    # No invitation is ever sent to participants or providers.
    assert {c["send_updates"] for c in google.calls("calendar.events.insert")} == {"none"}


@pytest.mark.parametrize(
    ("level", "summary", "has_location", "has_description"),
    [
        ("busy", BUSY_TITLE, False, False),
        ("private_title", "Home visit with Jordan", False, False),
        ("full", "Home visit with Jordan", True, True),
    ],
)
def test_the_privacy_level_decides_what_google_receives(
    connected, coordinator, google, level, summary, has_location, has_description
):
    connected.privacy_level = level
    participant = factories.make_participant(coordinator.business_id, "Jordan Lee", "430123456")
    add_event(
        coordinator,
        participant_id=participant.id,
        location="12 Example St, Parramatta",
        notes="Bring the service agreement",
        internal_notes="Plan budget nearly spent; NDIS 430123456",
    )
    run_jobs()
    [item] = google_events(google)
    assert item["summary"] == summary
    assert ("location" in item) is has_location
    assert ("description" in item) is has_description
    sent = str(google.calls("calendar.events.insert")[0]["body"])
    for secret in ("430123456", "Plan budget", "Jordan Lee"):
        assert secret not in sent


def test_an_edit_patches_with_if_match_and_its_echo_changes_nothing(connected, coordinator, google):
    event = add_event(coordinator)
    run_jobs()
    etag_before = link_of(event).etag
    update_event(
        event,
        EventData(
            title="Home visit (moved)",
            time_zone="Australia/Sydney",
            start_at=SOON + timedelta(hours=2),
            end_at=SOON + timedelta(hours=3),
        ),
    )
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    [patch] = google.calls("calendar.events.patch")
    assert patch["status"] == 200
    [item] = google_events(google)
    assert item["summary"] == "Home visit (moved)"
    assert link_of(event).etag == item["etag"] != etag_before
    # The notification of our own write comes back as a change: it must be skipped.
    version = db.session.get(Event, event.id).version
    from portal.google.worker.enqueue import enqueue_pull

    enqueue_pull(connected.id)
    run_jobs()
    db.session.expire_all()
    assert db.session.get(Event, event.id).version == version
    assert not pending_outbox()
    assert google.count("calendar.events.patch") == 1


def test_a_portal_delete_deletes_the_google_copy_and_already_deleted_is_fine(
    connected, coordinator, google
):
    first, second = add_event(coordinator), add_event(coordinator, title="Case conference")
    run_jobs()
    google.state.user_delete_event(
        GOOGLE_USER,
        link_of(second).google_event_id,
    )
    for event in (first, second):
        delete_event(db.session.get(Event, event.id))
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    assert google_events(google) == []
    assert not pending_outbox()
    assert [
        e.deleted_by for e in (db.session.get(Event, first.id), db.session.get(Event, second.id))
    ] == ["portal", "portal"]


def test_a_retried_insert_after_a_timeout_never_makes_a_second_copy(
    app, connected, coordinator, google
):
    app.config["GOOGLE_HTTP_TIMEOUT"] = 0.5
    # Google stores the event but answers too late: the client times out and the job retries.
    google.state.add_fault("calendar.events.insert", None, delay=1.5)
    event = add_event(coordinator)
    run_jobs()
    items = google_events(google)
    assert len(items) == 1
    assert link_of(event).google_event_id == items[0]["id"]
    assert not pending_outbox()


def test_a_google_copy_deleted_remotely_is_not_silently_recreated(connected, coordinator, google):
    event = add_event(coordinator)
    run_jobs()
    google.state.user_delete_event(GOOGLE_USER, link_of(event).google_event_id)
    # The coordinator edits before the deletion has been pulled.
    update_event(
        event,
        EventData(
            title="Renamed",
            time_zone="Australia/Sydney",
            start_at=SOON,
            end_at=SOON + timedelta(hours=1),
        ),
    )
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    assert google_events(google) == []
    assert live_events(coordinator.id) == []
    stored = db.session.get(Event, event.id)
    assert stored.deleted_by == "google"
    [conflict] = activity("conflict")
    assert conflict.detail["loser"]["title"] == "Renamed"


def test_a_change_made_while_redis_is_down_reaches_google_afterwards(
    app, connected, coordinator, google, client
):
    live_redis = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("coordinoter_redis", None)
    response = client.post(
        "/calendar/events",
        data={
            "title": "Phone check-in",
            "event_type": "phone",
            "start": (SOON + timedelta(days=1)).astimezone().strftime("%Y-%m-%dT%H:%M"),
            "end": (SOON + timedelta(days=1, hours=1)).astimezone().strftime("%Y-%m-%dT%H:%M"),
            "time_zone": "Australia/Sydney",
            "status": "scheduled",
        },
    )
    assert response.status_code in (200, 204, 302), response.text
    assert len(pending_outbox()) == 1
    app.config["REDIS_URL"] = live_redis
    app.extensions.pop("coordinoter_redis", None)
    result = app.test_cli_runner().invoke(args=["google", "sweep"])
    assert "Enqueued pushes for 1 connection" in result.output
    run_jobs()
    assert [i["summary"] for i in google_events(google)] == ["Phone check-in"]
    assert not pending_outbox()


def test_the_drain_command_pushes_without_any_queue(app, connected, coordinator, google):
    event = create_event(
        coordinator,
        EventData(
            title="Report due",
            time_zone="Australia/Sydney",
            all_day=True,
            start_date=SOON.date(),
            end_date=SOON.date() + timedelta(days=1),
        ),
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["google", "drain"])
    assert "Pushed 1 event" in result.output, result.output
    [item] = google_events(google)
    assert item["start"] == {"date": SOON.date().isoformat()}
    assert item["end"] == {"date": (SOON.date() + timedelta(days=1)).isoformat()}
    assert link_of(event) is not None


def test_rate_limits_and_server_errors_are_retried(connected, coordinator, google):
    google.state.add_fault("calendar.events.insert", 429, "rateLimitExceeded", count=1)
    google.state.add_fault("calendar.events.insert", 403, "userRateLimitExceeded", count=1)
    add_event(coordinator)
    run_jobs()
    assert len(google_events(google)) == 1
    assert not pending_outbox()


def test_a_change_outlasting_every_retry_waits_for_the_sweeper(app, connected, coordinator, google):
    google.state.add_fault("calendar.events.insert", 503, "backendError", count=3)
    add_event(coordinator)
    run_jobs()
    assert google_events(google) == []
    assert len(pending_outbox()) == 1
    assert "Google is busy" in fresh(connected).last_error
    app.test_cli_runner().invoke(args=["google", "sweep"])
    run_jobs()
    assert len(google_events(google)) == 1
    assert not pending_outbox()


def test_an_expired_access_token_is_refreshed_once(connected, coordinator, google):
    google.state.expire_access_tokens()
    add_event(coordinator)
    run_jobs()
    assert len(google_events(google)) == 1
    assert google.count("oauth2.token") >= 2  # the code exchange, then one refresh


def test_a_revoked_grant_stops_sync_until_reconnect_and_loses_nothing(
    connected, coordinator, google, connect_flow
):
    google.state.revoke_grants(GOOGLE_USER)
    google.state.expire_access_tokens()
    event = add_event(coordinator)
    run_jobs()
    assert fresh(connected).state == "needs_reconnect"
    assert len(pending_outbox()) == 1
    assert google_events(google) == []
    connect_flow.run()
    run_jobs()
    assert fresh(connected).state == "connected"
    [item] = google_events(google)
    assert item["id"] == link_of(event).google_event_id


def test_reconnecting_after_removing_events_puts_them_back_once(
    connected, coordinator, google, client, connect_flow
):
    event = add_event(coordinator)
    run_jobs()
    first_id = link_of(event).google_event_id
    client.post("/google/disconnect", data={"remove_events": "remove"})
    run_jobs()
    assert google_events(google) == []
    connect_flow.run()
    run_jobs()
    [item] = google_events(google)
    assert item["id"] == link_of(event).google_event_id != first_id
    assert [e.title for e in live_events(coordinator.id)] == ["Home visit with Jordan"]


def test_changing_calendar_moves_our_appointments_and_loses_nothing(
    connected, coordinator, google, client
):
    from tests.google.test_sync_pull import google_adds

    event = add_event(coordinator)
    google_adds(google, "Personal dentist")
    from portal.google.worker.enqueue import enqueue_pull

    enqueue_pull(connected.id)
    run_jobs()
    work = google.state.add_calendar(GOOGLE_USER, "Work appointments")
    client.post("/google/calendar", data={"calendar_id": work})
    run_jobs()
    assert fresh(connected).state == "connected"
    assert [i["summary"] for i in google.state.list_events(work)] == ["Home visit with Jordan"]
    # The old calendar keeps what it had; nothing in the portal was deleted.
    assert sorted(i["summary"] for i in google_events(google)) == [
        "Home visit with Jordan",
        "Personal dentist",
    ]
    assert sorted(e.title for e in live_events(coordinator.id)) == [
        "Home visit with Jordan",
        "Personal dentist",
    ]
    assert link_of(event) is not None


def test_a_burst_of_changes_goes_in_one_batch_request(connected, coordinator, google):
    google.state.clear_request_log()
    events = [
        create_event(
            coordinator,
            EventData(
                title=f"Visit {n}",
                time_zone="Australia/Sydney",
                start_at=SOON + timedelta(hours=n),
                end_at=SOON + timedelta(hours=n, minutes=45),
            ),
        )
        for n in range(10)
    ]
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    counts = google.state.request_counts()
    assert counts["batch"] == 1
    assert counts["calendar.events.insert"] == 10
    assert sorted(i["summary"] for i in google_events(google)) == sorted(e.title for e in events)
    assert all(link_of(e) for e in events) and not pending_outbox()
    # Edits and deletes of a burst are batched too, with If-Match on every patch.
    for event in events[:5]:
        update_event(
            db.session.get(Event, event.id),
            EventData(title=event.title + " (moved)", time_zone="Australia/Sydney",
                      start_at=event.start_at, end_at=event.end_at),
        )  # fmt: skip
    for event in events[5:]:
        delete_event(db.session.get(Event, event.id))
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    assert google.state.request_counts()["batch"] == 2
    assert sorted(i["summary"] for i in google_events(google)) == [
        f"Visit {n} (moved)" for n in range(5)
    ]
    assert not pending_outbox()


def test_a_batch_part_google_refuses_falls_back_to_the_careful_path(connected, coordinator, google):
    first = add_event(coordinator, title="First")
    run_jobs()
    # Google's copy changes behind our back: the batched PATCH meets 412 and is settled alone.
    google.state.user_patch_event(GOOGLE_USER, link_of(first).google_event_id, {"location": "x"})
    update_event(
        db.session.get(Event, first.id),
        EventData(title="First (portal)", time_zone="Australia/Sydney", start_at=SOON,
                  end_at=SOON + timedelta(hours=1)),
    )  # fmt: skip
    add_event(coordinator, title="Second")
    run_jobs()
    assert sorted(i["summary"] for i in google_events(google)) == ["First (portal)", "Second"]
    assert not pending_outbox()
