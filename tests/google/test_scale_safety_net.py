"""The safety net by due time: each pull sets the next, the tick selects the due in SQL, capped,
and enqueues them in batches without checking any queue."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from rq.job import Job
from sqlalchemy import select

from portal.core.queue import get_queue, redis_connection
from portal.extensions import db
from portal.google.intervals import SAFETY_NET_AFTER
from portal.google.worker import coalescer, enqueue, safety_net
from portal.google.worker.jobs import safety_net_job
from portal.models import GoogleConnection, WatchChannel, utcnow
from tests.google.scale_support import add_connections
from tests.support.sql import recorded_statements
from tests.support.worker import run_jobs

HEALTHY = 150 * 60


def queued_connections() -> list[int]:
    """The connection each queued job is for, in queue order."""
    return [job.args[0] for job in get_queue().get_jobs()]


def test_an_empty_tick_costs_the_same_statements_at_200_connections_as_at_5(app):
    add_connections(5)
    with recorded_statements() as few:
        assert safety_net_job() == 0
    add_connections(195)
    with recorded_statements() as many:
        assert safety_net_job() == 0
    assert len(many) == len(few) == 1
    assert "LIMIT" in many[0] and "next_pull_at" in many[0]


def test_the_tick_enqueues_the_most_overdue_first_up_to_its_cap(app):
    app.config["GOOGLE_TICK_CAP"] = 3
    now = utcnow()
    later = add_connections(2, due_at=now - timedelta(minutes=1))
    first = add_connections(2, due_at=now - timedelta(minutes=30))
    add_connections(2, due_at=now + timedelta(minutes=5))
    add_connections(2, due_at=now - timedelta(hours=1), state="needs_reconnect")
    assert safety_net_job() == 3
    assert queued_connections()[:2] == first and queued_connections()[2] in later
    # The one left over stays due and goes with the next tick.
    assert safety_net_job() == 1
    assert sorted(queued_connections()) == sorted(first + later)


def test_pulls_waiting_in_a_backlog_are_not_selected_again_until_their_hold_runs_out(app):
    due = add_connections(40, due_at=utcnow() - timedelta(minutes=1))
    assert safety_net_job() == 40
    with recorded_statements() as statements:
        assert safety_net_job() == 0
    assert len(statements) == 1
    held = db.session.scalars(select(GoogleConnection.next_pull_at)).all()
    assert all(at > utcnow() + timedelta(seconds=SAFETY_NET_AFTER - 60) for at in held)
    assert get_queue().count == len(due)


def test_batched_enqueueing_keeps_one_job_waiting_per_connection(app):
    app.config["GOOGLE_ENQUEUE_BATCH"] = 7
    ids = add_connections(20)
    assert enqueue.enqueue_pull(ids[0])
    assert enqueue.enqueue_safety_pulls(ids) == 19
    assert enqueue.enqueue_safety_pulls(ids) == 0
    assert sorted(queued_connections()) == sorted(ids)
    job = get_queue().get_jobs()[-1]
    assert job.failure_ttl == 7 * 86400
    assert job.description == f"google pull for connection {ids[-1]}"


def age_marker(kind: str, connection_id: int) -> str:
    """Make a pending marker look older than MARKER_GRACE; returns its job id."""
    key = coalescer.key(f"pending:{kind}", connection_id)
    job_id = redis_connection().get(key).decode().split()[0]
    redis_connection().set(key, f"{job_id} {time.time() - 60:.3f}")
    return job_id


def test_a_job_deep_in_the_queue_still_counts_as_waiting(app):
    ids = add_connections(60)
    enqueue.enqueue_safety_pulls(ids)
    age_marker("pull", ids[-1])
    assert not enqueue.enqueue_safety_pull(ids[-1])
    assert get_queue().count == 60


def test_a_job_a_killed_worker_took_off_the_queue_is_replaced(app):
    [cid] = add_connections(1)
    enqueue.enqueue_safety_pull(cid)
    lost = age_marker("pull", cid)
    queue = get_queue()
    # What a worker does first when it takes a job; killed here, it never starts it.
    redis_connection().lmove(queue.key, queue.intermediate_queue_key)
    assert Job.fetch(lost, connection=redis_connection()).get_status() == "queued"
    assert enqueue.enqueue_safety_pulls([cid]) == 1
    assert queue.get_job_ids() != [lost] and queue.count == 1


@pytest.fixture
def confirmed_channel(connected) -> int:
    """The connection's live channel, confirmed by Google (its sync message arrived)."""
    channel = db.session.scalar(select(WatchChannel).where(WatchChannel.stopped_at.is_(None)))
    channel.live_at = utcnow()
    db.session.commit()
    return channel.id


@pytest.fixture
def connection_id(connected) -> int:
    """The connected coordinator's connection id (jobs end the test's session)."""
    return connected.id


def pull_now(connection_id: int) -> GoogleConnection:
    """Make the connection due, run the tick and its pull; the connection afterwards."""
    row = db.session.get(GoogleConnection, connection_id)
    row.next_pull_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    before = utcnow()
    assert safety_net_job() == 1
    run_jobs()
    row = db.session.get(GoogleConnection, connection_id)
    assert row.last_sync_at >= before
    return row


def wait_after(connection: GoogleConnection) -> float:
    """Seconds from the connection's last pull to its next safety pull."""
    return (connection.next_pull_at - connection.last_sync_at).total_seconds()


def test_a_healthy_channel_gets_the_long_interval_jittered(
    connection_id, confirmed_channel, google
):
    waits = [wait_after(pull_now(connection_id)) for _ in range(6)]
    assert all(0.5 * HEALTHY - 5 <= wait <= 1.5 * HEALTHY + 5 for wait in waits)
    assert len({round(wait) for wait in waits}) > 1


def test_an_unconfirmed_channel_keeps_the_quick_pull(connection_id, google):
    channel = db.session.scalar(select(WatchChannel).where(WatchChannel.stopped_at.is_(None)))
    assert channel.live_at is None and channel.last_notification_at is None
    assert wait_after(pull_now(connection_id)) <= 1.5 * SAFETY_NET_AFTER + 5


@pytest.mark.parametrize("failure", ["polling_only", "expired", "stopped"])
def test_a_failed_or_missing_channel_keeps_the_quick_pull(
    connection_id, confirmed_channel, google, failure
):
    channel = db.session.get(WatchChannel, confirmed_channel)
    connection = db.session.get(GoogleConnection, connection_id)
    if failure == "polling_only":
        connection.polling_only = True
    elif failure == "expired":
        channel.expires_at = utcnow() - timedelta(minutes=1)
    else:
        channel.stopped_at = utcnow()
    db.session.commit()
    assert not safety_net.healthy_channel(connection)
    assert wait_after(pull_now(connection_id)) <= 1.5 * SAFETY_NET_AFTER + 5


def test_a_notified_pull_also_puts_the_safety_pull_off(connection_id, confirmed_channel, google):
    db.session.get(GoogleConnection, connection_id).next_pull_at = utcnow()
    db.session.commit()
    enqueue.enqueue_pull(connection_id)
    run_jobs()
    row = db.session.get(GoogleConnection, connection_id)
    assert row.next_pull_at > utcnow() + timedelta(seconds=0.5 * HEALTHY - 60)
