"""Bursts of Google notifications: a lone change is pulled at once, a burst costs two pulls.

The first notification after a quiet spell enqueues its pull at once. One that follows the
previous within GOOGLE_BURST_GAP is part of a burst: its pull goes to RQ's scheduler and is
put off while notifications keep coming (for at most GOOGLE_BURST_MAX_WAIT).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import ScheduledJobRegistry

from portal.core.queue import get_queue, redis_connection
from portal.extensions import db
from portal.google.realtime.heard import outcome_counts
from portal.google.worker.clock import release_overdue, watch_overdue
from portal.google.worker.jobs import pull_job
from portal.models import GoogleConnection, WatchChannel
from tests.google.sync_support import live_events
from tests.google.test_realtime import notify as google_notifies
from tests.google.test_realtime import open_channel
from tests.google.test_sync_pull import google_adds
from tests.support.processes import kill, start_worker, wait_for
from tests.support.worker import run_jobs


@pytest.fixture
def config_overrides(config_overrides: dict) -> dict:
    """Production's burst settings (the test default pulls at once after every notification)."""
    burst = {"GOOGLE_BURST_GAP": 0.25, "GOOGLE_BURST_QUIET": 1, "GOOGLE_BURST_MAX_WAIT": 10}
    return {**config_overrides, **burst}


@pytest.fixture
def channel(connected) -> tuple[WatchChannel, str]:
    """An open channel of our own making, so the test knows its secret token."""
    return open_channel(connected)


def notify(client, channel: tuple[WatchChannel, str], number: int) -> None:
    row, token = channel
    assert google_notifies(client, row.channel_id, token, number=number).status_code == 200


def scheduled() -> list[str]:
    """The pulls waiting in RQ's scheduled registry (a later look after an empty pull aside)."""
    ids = ScheduledJobRegistry(queue=get_queue()).get_job_ids()
    return [job_id for job_id in ids if not job_id.startswith("look-")]


def test_a_lone_notification_pulls_at_once_and_one_close_behind_waits_for_the_burst(
    app, client, connected, channel, google
):
    app.config["GOOGLE_BURST_GAP"] = 60  # every notification in this test is "close behind"
    redis_connection().delete(f"coordinoter:heard:{connected.id}")
    notify(client, channel, 2)
    assert get_queue().count == 1 and scheduled() == []
    notify(client, channel, 3)  # the pull has not started: this one joins it
    google.state.clear_request_log()
    run_jobs()
    assert google.count("calendar.events.list") == 1

    notify(client, channel, 4)  # right after a pull: a burst, so its pull is scheduled
    assert get_queue().count == 0
    [job_id] = scheduled()
    job = get_queue().fetch_job(job_id)
    assert job.args[0] == connected.id and job.args[1] > 0  # burst_started
    notify(client, channel, 5)
    assert len(scheduled()) == 1
    assert outcome_counts(redis_connection(), hours=1) == Counter(accepted=2, coalesced=2)


def test_a_put_off_pull_waits_while_notifications_come_then_pulls(
    app, client, connected, channel, google
):
    app.config.update(GOOGLE_BURST_GAP=60, GOOGLE_BURST_QUIET=30, GOOGLE_BURST_MAX_WAIT=60)
    run_jobs()
    notify(client, channel, 2)
    notify(client, channel, 3)
    google.state.clear_request_log()

    # Notifications came a moment ago: the pull puts itself off and calls Google not at all.
    assert pull_job(connected.id, time.time()).startswith("put off")
    assert google.count("calendar.events.list") == 0
    marker = redis_connection().get(f"coordinoter:pending:pull:{connected.id}").decode()
    assert marker.split()[0] in scheduled()

    # It has waited long enough (GOOGLE_BURST_MAX_WAIT): it pulls, even though they still come.
    assert not pull_job(connected.id, time.time() - 61).startswith("put off")
    assert google.count("calendar.events.list") == 1
    assert not redis_connection().exists(f"coordinoter:pending:pull:{connected.id}")


def test_a_burst_spread_over_seconds_while_a_worker_runs_costs_two_pulls_and_loses_nothing(
    app, client, connected, coordinator, channel, google
):
    worker = start_worker(app)
    try:
        wait_for(lambda: _worker_listening())
        google.state.clear_request_log()
        started = time.monotonic()
        for number in range(2, 302):
            if number == 150:
                google_adds(google, "Booked during the burst")
            notify(client, channel, number)
            time.sleep(0.005)  # Google spreads a burst over a few seconds
        spread = time.monotonic() - started
        wait_for(
            lambda: [e.title for e in live_events(coordinator.id)] == ["Booked during the burst"],
            timeout=30,
        )
        wait_for(lambda: _idle(connected.id), timeout=30)
    finally:
        kill(worker)
    listings = google.count("calendar.events.list")
    # Two, unless the burst outlasted GOOGLE_BURST_MAX_WAIT (a very slow machine).
    assert 1 <= listings <= 2, (spread, google.state.request_log())
    db.session.expire_all()
    assert db.session.get(WatchChannel, channel[0].id).last_message_number == 301


def _worker_listening() -> bool:
    from rq import Worker

    return Worker.count(connection=redis_connection(), queue=get_queue()) > 0


def _idle(connection_id: int) -> bool:
    redis = redis_connection()
    busy = [f"coordinoter:{k}:pull:{connection_id}" for k in ("pending", "running")]
    db.session.expire_all()
    synced = db.session.get(GoogleConnection, connection_id).last_sync_at is not None
    return synced and not redis.exists(*busy) and get_queue().count == 0 and not scheduled()


def test_a_put_off_pull_the_scheduler_never_ran_does_not_hold_up_the_next_notification(
    app, client, connected, channel, google
):
    app.config["GOOGLE_BURST_GAP"] = 60
    notify(client, channel, 2)
    run_jobs()
    notify(client, channel, 3)  # scheduled: but say no worker runs RQ's scheduler
    [job_id] = scheduled()
    registry = ScheduledJobRegistry(queue=get_queue())
    registry.schedule(get_queue().fetch_job(job_id), datetime.now(UTC) - timedelta(minutes=5))
    pending = f"coordinoter:pending:pull:{connected.id}"
    redis_connection().set(pending, f"{job_id} {time.time() - 600:.3f}")

    notify(client, channel, 4)
    assert get_queue().count == 1  # pulled at once instead
    google.state.clear_request_log()
    run_jobs()
    assert google.count("calendar.events.list") == 1


def test_overdue_delayed_jobs_are_released_and_the_rest_left(connected):
    queue = get_queue()
    lost = queue.enqueue_in(timedelta(seconds=1), pull_job, connected.id, time.time())
    ScheduledJobRegistry(queue=queue).schedule(lost, datetime.now(UTC) - timedelta(minutes=5))
    later = queue.enqueue_in(timedelta(minutes=5), pull_job, connected.id, time.time())
    assert release_overdue() == 1
    run_jobs()
    assert scheduled() == [later.id]
    assert lost.get_status(refresh=True) == "finished"


def test_the_clock_s_watch_releases_overdue_jobs_every_second(app, connected):
    queue = get_queue()
    lost = queue.enqueue_in(timedelta(seconds=1), pull_job, connected.id, time.time())
    ScheduledJobRegistry(queue=queue).schedule(lost, datetime.now(UTC) - timedelta(minutes=5))
    stop = threading.Event()
    watch = threading.Thread(target=watch_overdue, args=(app, stop, 0.1))
    watch.start()
    try:
        wait_for(lambda: scheduled() == [] and queue.job_ids == [lost.id], timeout=5)
    finally:
        stop.set()
        watch.join(timeout=5)
    assert not watch.is_alive()
