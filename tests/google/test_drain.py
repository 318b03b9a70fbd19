"""Drain jobs: notifications mark connections dirty, one RQ job pulls many of them.

Every connection here syncs the same emulator calendar (the extra ones share the signed-in
connection's tokens and sync token), so each pull is one `events.list` and brings the same
Google event into that coordinator's calendar.
"""

from __future__ import annotations

import time

import pytest
from rq.registry import FinishedJobRegistry
from sqlalchemy import select, text

from portal.core.queue import get_queue, redis_connection
from portal.extensions import db
from portal.google.sync.lock import LOCK_SPACE, connection_lock, lock_holder
from portal.google.worker import dirty
from portal.google.worker.drain import drain_one
from portal.google.worker.enqueue import enqueue_drains, pull_in_progress
from portal.models import GoogleConnection
from tests.google.scale_support import add_connections
from tests.google.sync_support import live_events
from tests.google.test_realtime import notify, open_channel, outcomes
from tests.google.test_sync_pull import google_adds
from tests.support.processes import kill, start_worker, wait_for
from tests.support.worker import run_jobs


def twins(connected: GoogleConnection, count: int, shard: int | None = None) -> list[int]:
    """`count` more connections to the same Google calendar (in `shard`, if given)."""
    shared = {
        "access_token_enc": connected.access_token_enc,
        "refresh_token_enc": connected.refresh_token_enc,
        "token_expires_at": connected.token_expires_at,
        "scopes": connected.scopes,
        "sync_token": connected.sync_token,
    }
    ids = add_connections(count if shard is None else count * dirty.SHARDS, **shared)
    if shard is not None:
        ids = [cid for cid in ids if dirty.shard_of(cid) == shard][:count]
    return ids


def listen(connection_ids: list[int]) -> dict[int, tuple]:
    """An open channel (and its secret token) for each connection."""
    return {cid: open_channel(db.session.get(GoogleConnection, cid)) for cid in connection_ids}


def google_notifies(client, opened: dict[int, tuple], cid: int, number: int = 2) -> None:
    row, token = opened[cid]
    assert notify(client, row.channel_id, token, number=number).status_code == 200


def has_the_event(connection_id: int, title: str) -> bool:
    user_id = db.session.scalar(
        select(GoogleConnection.user_id).where(GoogleConnection.id == connection_id)
    )
    return title in [event.title for event in live_events(user_id)]


def _pulling(connection_id: int) -> bool:
    return bool(redis_connection().exists(f"coordinoter:running:pull:{connection_id}"))


def drains_run() -> list[str]:
    """The results of the drain jobs that finished."""
    registry = FinishedJobRegistry(queue=get_queue())
    jobs = [get_queue().fetch_job(job_id) for job_id in registry.get_job_ids()]
    return [job.return_value() for job in jobs if job and job.id.startswith("drain-")]


@pytest.fixture
def config_overrides(config_overrides: dict) -> dict:
    """No second look at Google within a test (each pull here finds the event anyway)."""
    return {**config_overrides, "GOOGLE_LATE_LOOK": 600}


def test_notifications_for_50_connections_are_pulled_by_a_few_jobs_each_once(
    client, connected, google
):
    ids = [connected.id, *twins(connected, 49)]
    opened = listen(ids)
    google_adds(google, "Changed in Google")
    google.state.clear_request_log()
    for cid in ids:
        google_notifies(client, opened, cid)
    assert outcomes()["accepted"] == 50
    assert get_queue().count <= dirty.SHARDS  # one drain job per shard, not one per pull
    assert all(pull_in_progress(cid) for cid in ids)  # the card says so

    assert run_jobs() <= dirty.SHARDS
    assert google.count("calendar.events.list") == 50
    assert sum(int(result.split()[1].strip(",")) for result in drains_run()) == 50
    assert all(has_the_event(cid, "Changed in Google") for cid in ids)
    assert not any(pull_in_progress(cid) for cid in ids)


def test_a_notification_during_a_connection_s_pull_brings_one_more_pull(
    app, client, connected, google
):
    opened = listen([connected.id])
    google_adds(google, "Changed in Google")
    google.state.add_fault("calendar.events.list", None, delay=1.0, count=1)
    google.state.clear_request_log()
    google_notifies(client, opened, connected.id, 2)
    worker = start_worker(app)
    try:
        wait_for(lambda: _pulling(connected.id))
        for number in (3, 4, 5):  # during the pull: one more pull, the rest join it
            google_notifies(client, opened, connected.id, number)
        wait_for(lambda: len(google.calls("calendar.events.list")) == 2)
        wait_for(lambda: not pull_in_progress(connected.id))
        time.sleep(0.5)  # nothing else comes
    finally:
        kill(worker)
    assert google.count("calendar.events.list") == 2
    assert outcomes()["accepted"] == 2 and outcomes()["coalesced"] == 2


def test_a_failed_pull_does_not_stop_the_others_and_is_retried_on_its_own(
    client, connected, google
):
    ids = [connected.id, *twins(connected, 2, shard=dirty.shard_of(connected.id))]
    opened = listen(ids)
    broken = ids[1]
    db.session.get(GoogleConnection, broken).access_token_enc = "not a token"
    db.session.commit()
    google_adds(google, "Changed in Google")
    for cid in ids:
        google_notifies(client, opened, cid)
    assert get_queue().count == 1  # one shard, one drain

    run_jobs()
    assert [has_the_event(cid, "Changed in Google") for cid in ids] == [True, False, True]
    [result] = drains_run()
    assert result.startswith("pulled 3")
    # Its pull went to a job of its own, which RQ retried and then gave up.
    failed = get_queue().failed_job_registry.get_job_ids()
    assert [job_id.split("-")[:2] for job_id in failed] == [["pull", str(broken)]]


def test_a_drain_killed_midway_leaves_the_rest_for_the_next(app, client, connected, google):
    ids = [connected.id, *twins(connected, 3, shard=dirty.shard_of(connected.id))]
    opened = listen(ids)
    google_adds(google, "Changed in Google")
    google.state.add_fault("calendar.events.list", None, delay=3.0, count=1)
    google.state.clear_request_log()
    for cid in ids:
        google_notifies(client, opened, cid)
    worker = start_worker(app)
    try:
        # The first pull waits on Google's slow answer when the worker dies.
        [first] = wait_for(lambda: [cid for cid in ids if _pulling(cid)])
        time.sleep(0.3)
    finally:
        kill(worker)
    assert google.calls("calendar.events.list") == []
    rest = [cid for cid in ids if cid != first]
    assert all(dirty.is_marked(cid) for cid in rest)

    # No notification comes: the safety net's check of the shards enqueues a drain.
    assert enqueue_drains() == 1
    run_jobs()
    db.session.expire_all()
    assert all(has_the_event(cid, "Changed in Google") for cid in rest)


def test_a_connection_whose_lock_is_held_goes_back_and_is_pulled_later(connected, google):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no advisory lock: one worker only")
    google_adds(google, "Changed in Google")
    dirty.mark(connected.id)
    google.state.clear_request_log()
    # Another job holds the lock.
    with connection_lock(connected.id), lock_holder() as locks:
        assert drain_one(locks, connected.id) is False
    assert dirty.is_marked(connected.id)
    assert google.count("calendar.events.list") == 0


def advisory_locks_held(connection_id: int) -> int:
    """Sync locks on this connection that any session of this database holds (PostgreSQL's view)."""
    # pg_locks spans the cluster: other test workers' databases have a connection 1 too.
    with db.engine.connect() as conn:
        return conn.execute(_LOCKS_HELD, {"space": LOCK_SPACE, "id": connection_id}).scalar()


_LOCKS_HELD = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :space"
    " AND objid = :id"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def test_a_drains_lock_connection_lets_go_of_every_lock_when_the_drain_ends(connected):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no advisory lock: one worker only")
    with pytest.raises(RuntimeError), lock_holder() as locks:
        assert locks.try_lock(connected.id)
        assert advisory_locks_held(connected.id) == 1
        raise RuntimeError("the drain fails before it releases the lock")
    # Back in the pool, the connection holds nothing: the next sync of it is not blocked.
    assert advisory_locks_held(connected.id) == 0
