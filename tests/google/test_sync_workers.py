"""Workers die, Redis coalesces, and one connection is never synced twice at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from portal.core.queue import get_queue, redis_connection
from portal.extensions import db
from portal.google.sync.lock import connection_lock
from portal.google.worker.enqueue import enqueue_pull
from portal.models import EventLink
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import (
    google_events,
    live_events,
    pending_outbox,
)
from tests.google.test_sync_pull import google_adds
from tests.google.test_sync_push import add_event
from tests.support.processes import kill, start_worker, wait_for
from tests.support.worker import run_jobs


def _job_running(kind: str, connection_id: int) -> bool:
    return bool(redis_connection().exists(f"coordinoter:running:{kind}:{connection_id}"))


def test_a_worker_killed_mid_push_loses_nothing_and_duplicates_nothing(
    app, connected, coordinator, google
):
    # Google takes its time; the worker dies while the insert is on the wire.
    google.state.add_fault("calendar.events.insert", None, delay=1.0)
    event = add_event(coordinator)
    worker = start_worker(app)
    try:
        wait_for(lambda: _job_running("push", connected.id))
        time.sleep(0.3)
    finally:
        kill(worker)
    time.sleep(1.2)  # Google finishes the insert the dead worker asked for
    assert len(pending_outbox()) == 1
    app.test_cli_runner().invoke(args=["google", "sweep"])
    run_jobs()
    [item] = google_events(google)
    links = db.session.scalars(select(EventLink).where(EventLink.event_id == event.id)).all()
    assert [link.google_event_id for link in links] == [item["id"]]
    assert not pending_outbox()


def test_a_worker_killed_mid_pull_re_pulls_and_skips_nothing(app, connected, coordinator, google):
    google.state.configure(page_size_cap=2)
    for n in range(6):
        google_adds(google, f"Google event {n}")
    google.state.add_fault("calendar.events.list", None, delay=1.0, count=2)
    enqueue_pull(connected.id)
    worker = start_worker(app)
    try:
        wait_for(lambda: _job_running("pull", connected.id))
        time.sleep(1.5)
    finally:
        kill(worker)
    enqueue_pull(connected.id)
    run_jobs()
    titles = sorted(e.title for e in live_events(coordinator.id))
    assert titles == [f"Google event {n}" for n in range(6)]


def test_a_burst_of_pull_requests_queues_one_job_while_none_runs(connected, google):
    google.state.clear_request_log()
    enqueued = [enqueue_pull(connected.id) for _ in range(1000)]
    assert enqueued.count(True) == 1
    assert get_queue().count == 1
    run_jobs()
    # One pull: one answered listing (a transport retry inside that pull is not a second pull).
    calls = google.calls("calendar.events.list")
    assert [c["status"] for c in calls if c["status"] == 200] == [200], calls


def test_while_a_pull_runs_one_more_waits_and_no_more(app, connected, coordinator, google):
    google.state.clear_request_log()
    google.state.add_fault("calendar.events.list", None, delay=1.0)
    enqueue_pull(connected.id)
    worker = start_worker(app)
    try:
        wait_for(lambda: _job_running("pull", connected.id))
        # Changes keep arriving while the first pull runs: exactly one more pull is queued.
        assert sum(enqueue_pull(connected.id) for _ in range(500)) == 1
        wait_for(lambda: google.count("calendar.events.list") >= 2)
        wait_for(lambda: get_queue().count == 0 and not _job_running("pull", connected.id))
        time.sleep(0.3)
    finally:
        kill(worker)
    calls = [(c["time"], c["status"]) for c in google.calls("calendar.events.list")]
    assert len(calls) == 2, calls


@pytest.mark.usefixtures("connected")
def test_two_workers_never_sync_the_same_connection_at_once(app, connected, db_backend):
    if db_backend != "postgresql":
        pytest.skip("SQLite serialises writers itself; the advisory lock is PostgreSQL's")
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with app.app_context(), connection_lock(connected.id):
            order.append("first in")
            held.set()
            time.sleep(0.5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    with connection_lock(connected.id):
        order.append("second in")
    thread.join()
    assert order == ["first in", "first out", "second in"]


def test_google_user_edits_land_once_even_when_the_same_change_is_pulled_twice(
    connected, coordinator, google
):
    item = google_adds(google, "Provider meeting")
    for _ in range(3):
        enqueue_pull(connected.id)
        run_jobs()
    google.state.user_patch_event(GOOGLE_USER, item["id"], {"summary": "Provider meeting (moved)"})
    for _ in range(2):
        enqueue_pull(connected.id)
        run_jobs()
    assert [e.title for e in live_events(coordinator.id)] == ["Provider meeting (moved)"]
