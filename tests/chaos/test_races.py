"""Races the random chaos run rarely hits, replayed in a fixed order.

A coordinator's save loads the event, then writes it back; a pull job may commit a Google
change to the same event in between. A worker may die with a job it took off the queue. Two
processes may enqueue the same connection's pull at the same moment.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.calendar.operations import EventData, create_event, update_event
from portal.extensions import db
from portal.google.jobs import pull_job
from portal.google.outbox import kick
from portal.models import Event, EventLink
from tests.support.worker import run_jobs

SOON = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)


@pytest.fixture
def synced_event(app, db_backend_is_postgresql, full_connection, coordinator) -> Event:
    """A portal event already on Google."""
    event = create_event(
        coordinator,
        EventData(
            "Home visit", "Australia/Sydney", start_at=SOON, end_at=SOON + timedelta(hours=1)
        ),
    )
    db.session.commit()
    kick(coordinator.id)
    run_jobs()
    return db.session.get(Event, event.id)


def test_a_save_that_races_a_pull_of_the_same_event_still_reaches_google(
    app, synced_event, google, full_connection
):
    from tests.google.conftest import GOOGLE_USER

    link = db.session.scalar(select(EventLink).where(EventLink.event_id == synced_event.id))
    # The coordinator opens the event in the portal (the request loads the row) ...
    event = db.session.get(Event, synced_event.id)
    data = replace(EventData.of(event), title="Home visit (moved to the office)")
    # ... meanwhile someone renames it in Google and a worker pulls that change in ...
    google.state.user_patch_event(
        GOOGLE_USER, link.google_event_id, {"summary": "Renamed in Google"}
    )
    with app.app_context():
        pull_job(full_connection.id)
    # ... and then the coordinator's save commits, later than Google's change.
    update_event(event, data)
    db.session.commit()
    kick(event.owner_id)
    run_jobs()

    on_google = google.state.get_event(GOOGLE_USER, link.google_event_id)["summary"]
    db.session.expire_all()
    in_portal = db.session.get(Event, event.id).title
    # Either the later save wins on both sides, or the two sides at least agree.
    assert (in_portal, on_google) == ("Home visit (moved to the office)",) * 2


def test_a_push_lost_with_its_worker_is_re_enqueued_by_the_sweeper(
    app, db_backend_is_postgresql, full_connection, coordinator, google
):
    from portal.core.queue import get_queue, redis_connection

    event = create_event(
        coordinator,
        EventData(
            "Home visit", "Australia/Sydney", start_at=SOON, end_at=SOON + timedelta(hours=1)
        ),
    )
    db.session.commit()
    kick(coordinator.id)
    # A worker takes the job off the queue and is SIGKILLed before the job starts.
    queue = get_queue()
    [job_id] = queue.job_ids
    queue.remove(job_id)
    # The clock's sweep comes a minute later: by then the job's marker is that old.
    marker = f"coordinoter:pending:push:{full_connection.id}"
    redis_connection().set(marker, f"{job_id} {time.time() - 60:.3f}", ex=900)
    # The operator's sweep (also what the clock runs every minute) should notice the row.
    app.test_cli_runner().invoke(args=["google", "sweep"])
    run_jobs()
    google_id = db.session.scalar(
        select(EventLink.google_event_id).where(EventLink.event_id == event.id)
    )
    assert google_id is not None, "the event never reached Google"


def test_two_enqueuers_at_the_same_moment_queue_one_pull(
    app, db_backend_is_postgresql, full_connection
):
    from portal.core.queue import get_queue, redis_connection
    from portal.google.jobs import enqueue_pull

    # Another web process has just claimed the marker and is about to enqueue its job.
    run_jobs()
    marker = f"coordinoter:pending:pull:{full_connection.id}"
    in_flight = f"pull-{full_connection.id}-in-flight"
    assert redis_connection().set(marker, f"{in_flight} {time.time():.3f}", nx=True, ex=900)
    assert enqueue_pull(full_connection.id) is False
    assert get_queue().count == 0
