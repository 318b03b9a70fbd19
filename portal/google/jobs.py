"""RQ jobs for Google sync: thin functions that take ids, and the enqueueing that coalesces them.

Coalescing: a Redis "pending" marker per (kind, connection) is set with NX when a job is
enqueued and cleared when that job starts. So while one job runs, at most one more waits,
however many notifications or edits arrive: a burst costs at most two pulls.
Exclusion: every job of a connection holds the connection's database lock (locks.py).
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select, text

from portal.core.queue import get_queue, redis_connection
from portal.extensions import db
from portal.google import channels
from portal.google import push as push_ops
from portal.google.activity import log_activity
from portal.google.batch_push import push_in_batches
from portal.google.client import CalendarClient, GoogleApiError
from portal.google.locks import connection_lock
from portal.google.pull import full_sync, pull_changes
from portal.google.quota import per_minute_throttle
from portal.jobs import job
from portal.models import Event, GoogleConnection, WatchChannel, utcnow

log = logging.getLogger(__name__)

PENDING_TTL = 900
ACTIVE_STATES = ("importing", "connected")


def _key(kind: str, connection_id: int) -> str:
    return f"coordinoter:{kind}:{connection_id}"


def _retry() -> Retry:
    """RQ retries with exponential intervals and jitter, for outages longer than the client's."""
    raw = current_app.config.get("GOOGLE_JOB_RETRY_INTERVALS", "5,30,120,600,1800")
    intervals = [float(x) for x in str(raw).split(",") if x.strip()]
    return Retry(max=len(intervals), interval=[int(i * random.uniform(1, 1.25)) for i in intervals])


def _enqueue(kind: str, func: Callable, connection_id: int, *args) -> bool:
    redis = redis_connection()
    pending = _key(f"pending:{kind}", connection_id)
    job_id = f"{kind}-{connection_id}-{uuid.uuid4().hex}"
    marker = f"{job_id} {time.time():.3f}"
    if not redis.set(pending, marker, nx=True, ex=PENDING_TTL):
        waiting = redis.get(pending)
        if waiting is not None and _still_waiting(*waiting.decode().split()):
            return False
        # The marker outlived its job (lost with a killed worker, or deleted): replace it.
        redis.set(pending, marker, ex=PENDING_TTL)
    try:
        get_queue().enqueue(
            func,
            connection_id,
            *args,
            job_id=job_id,
            retry=_retry(),
            job_timeout=3600,
            description=f"google {kind} for connection {connection_id}",
        )
    except Exception:
        redis.delete(pending)
        raise
    return True


# A marker this young may belong to a job another process is enqueueing right now.
MARKER_GRACE = 5.0


def _still_waiting(job_id: str, set_at: str) -> bool:
    """Whether the job a pending marker stands for can still run."""
    if time.time() - float(set_at) < MARKER_GRACE:
        return True
    redis = redis_connection()
    try:
        status = Job.fetch(job_id, connection=redis).get_status()
    except NoSuchJobError:
        return False
    if status == JobStatus.QUEUED:
        # A worker killed between taking a job off the queue and starting it leaves it
        # "queued" but nowhere in the queue.
        return redis.lpos(get_queue().key, job_id) is not None
    return status in (JobStatus.SCHEDULED, JobStatus.DEFERRED)


def enqueue_push_for_user(user_id: int) -> bool:
    """Enqueue the push of this user's outbox (deduplicated); False when not connected."""
    connection_id = db.session.scalar(
        select(GoogleConnection.id).where(
            GoogleConnection.user_id == user_id, GoogleConnection.state.in_(ACTIVE_STATES)
        )
    )
    return connection_id is not None and enqueue_push(connection_id)


def enqueue_push(connection_id: int) -> bool:
    """Enqueue the push of one connection's outbox (deduplicated)."""
    return _enqueue("push", push_job, connection_id)


def enqueue_pull(connection_id: int) -> bool:
    """Enqueue an incremental pull (coalesced: one running plus at most one waiting)."""
    return _enqueue("pull", pull_job, connection_id)


def enqueue_initial_import(connection_id: int) -> bool:
    """Enqueue the first full import of a newly connected (or re-targeted) calendar."""
    return _enqueue("import", import_job, connection_id)


def enqueue_disconnect(connection_id: int, remove_events: bool) -> bool:
    """Enqueue the disconnect: channels, optional clean-up on Google, revoke, wipe tokens."""
    return _enqueue("disconnect", disconnect_job, connection_id, remove_events)


def pull_in_progress(connection_id: int) -> bool:
    """Whether a pull or import of this connection is waiting or running."""
    redis = redis_connection()
    keys = [_key(k, connection_id) for k in ("pending:pull", "running:pull", "pending:import")]
    keys.append(_key("running:import", connection_id))
    return bool(redis.exists(*keys))


def client_for(connection: GoogleConnection) -> CalendarClient:
    """A Calendar client with this connection's tokens and the shared per-user quota."""
    from portal.google.tokens import ConnectionTokens

    limit = int(current_app.config.get("GOOGLE_USER_QUOTA_PER_MINUTE", 600))
    throttle = per_minute_throttle(redis_connection(), connection.id, limit)
    return CalendarClient.from_config(current_app.config, ConnectionTokens(connection.id), throttle)


@contextmanager
def _running(kind: str, connection_id: int) -> Iterator[GoogleConnection | None]:
    """Clear the pending marker, hold the lock, and turn failures into visible states."""
    from portal.google.tokens import ReconnectNeeded

    redis = redis_connection()
    redis.delete(_key(f"pending:{kind}", connection_id))
    redis.set(_key(f"running:{kind}", connection_id), "1", ex=3600)
    try:
        with connection_lock(connection_id):
            connection = db.session.get(GoogleConnection, connection_id)
            if connection is not None:
                db.session.refresh(connection)
            try:
                yield connection
                if connection is not None and connection.is_active and connection.last_error:
                    # It worked again: the card should stop showing the old failure.
                    connection.last_error = connection.last_error_at = None
                db.session.commit()
            except ReconnectNeeded:
                # The token code has already moved the connection to needs_reconnect.
                db.session.commit()
            except GoogleApiError as exc:
                db.session.rollback()
                _record_error(connection_id, exc)
                if exc.retryable or exc.status == 401:
                    raise
    finally:
        redis.delete(_key(f"running:{kind}", connection_id))


def _record_error(connection_id: int, exc: GoogleApiError) -> None:
    connection = db.session.get(GoogleConnection, connection_id)
    if connection is None:
        return
    connection.last_error = describe_error(exc)
    connection.last_error_at = utcnow()
    log_activity(connection, "error", connection.last_error, outcome="failed")
    db.session.commit()


def describe_error(exc: GoogleApiError) -> str:
    """Google's error in words a coordinator understands."""
    if exc.retryable:
        return "Google is busy or unavailable right now; we will keep trying automatically."
    if exc.status == 404:
        return "The Google calendar we sync with cannot be found. Choose another calendar."
    if exc.status == 403:
        return "Google refused access to the calendar. Reconnect and allow calendar access."
    return f"Google answered an error ({exc.status} {exc.reason}). We will try again later."


def _active(connection: GoogleConnection | None) -> bool:
    return (
        connection is not None
        and connection.state in ACTIVE_STATES
        and bool(connection.calendar_id)
    )


@job
def push_job(connection_id: int) -> str:
    """Push every pending outbox change of one connection, committing after each event."""
    with _running("push", connection_id) as connection:
        if not _active(connection):
            return "inactive"
        push_pending(connection, client_for(connection))
        return "done"


def push_pending(connection: GoogleConnection, client: CalendarClient) -> None:
    """Push the outbox: a burst goes in batch requests, the rest (and leftovers) one by one."""
    events = [db.session.get(Event, i) for i in push_ops.pending_event_ids(connection.user_id)]
    if len(events) > 1:
        events = push_in_batches(connection, events, client)
        db.session.commit()
    for event in events:
        push_ops.push_event(connection, event, client)
        db.session.commit()


@job
def pull_job(connection_id: int) -> str:
    """Pull Google's changes for one connection (incremental, or full when needed)."""
    with _running("pull", connection_id) as connection:
        if not _active(connection):
            return "inactive"
        counts = pull_changes(connection, client_for(connection), checkpoint=db.session.commit)
        return counts.summary()


@job
def import_job(connection_id: int) -> str:
    """First sync of a calendar: import Google's events, then send the portal's own."""
    with _running("import", connection_id) as connection:
        if not _active(connection):
            return "inactive"
        client = client_for(connection)
        counts = full_sync(connection, client, checkpoint=db.session.commit)
        _refresh_statistics()
        push_ops.queue_unlinked_events(connection)
        connection.state = "connected"
        db.session.commit()
        push_pending(connection, client)
        replace_channel(connection, client)
        return counts.summary()


def _refresh_statistics() -> None:
    """After a bulk import, let PostgreSQL's planner see the new rows before autovacuum does."""
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        db.session.execute(text("ANALYZE event_link, event"))


@job
def disconnect_job(connection_id: int, remove_events: bool) -> str:
    """Disconnect a coordinator's Google account (see disconnect.disconnect_connection)."""
    from portal.google.disconnect import disconnect_connection

    with _running("disconnect", connection_id):
        disconnect_connection(connection_id, remove_events, client_for)
        return "disconnected"


def replace_channel(connection: GoogleConnection, client: CalendarClient) -> bool:
    """Open a new watch channel first, then stop the ones it replaces (they overlap briefly)."""
    old = channels.live_channels(connection.id)
    channel, token = channels.prepare_channel(connection)
    # Committed before the watch call: Google may notify before it answers.
    db.session.commit()
    opened = channels.activate_channel(connection, channel, token, client)
    db.session.commit()
    if opened:
        for previous in old:
            channels.stop_channel(previous, client)
        db.session.commit()
    return opened


SAFETY_NET_SECONDS = 15 * 60


@job
def safety_pull_job(connection_id: int) -> str:
    """The periodic pull that catches lost notifications and replaces a channel gone silent."""
    with _running("pull", connection_id) as connection:
        if not _active(connection):
            return "inactive"
        client = client_for(connection)
        counts = pull_changes(connection, client, checkpoint=db.session.commit)
        live = channels.live_channels(connection.id)
        changed_at = counts.earliest_change
        # A change younger than the grace period may simply have its notification in flight.
        grace = timedelta(seconds=float(current_app.config.get("GOOGLE_SILENCE_GRACE", 60)))
        if live and changed_at and changed_at < utcnow() - grace:
            heard = live[0].last_notification_at
            if heard is None or heard < changed_at:
                log_activity(
                    connection,
                    "channel",
                    "Google stopped announcing changes; live updates were switched on again",
                    outcome="silent_channel",
                )
                db.session.commit()
                replace_channel(connection, client)
        return counts.summary()


@job
def channel_job(connection_id: int) -> str:
    """Open (or renew) the watch channel of one connection."""
    with _running("channel", connection_id) as connection:
        if not _active(connection):
            return "inactive"
        return "opened" if replace_channel(connection, client_for(connection)) else "polling"


@job
def safety_net_job() -> int:
    """Scheduler: enqueue a pull for each connection not synced for 15 minutes (staggered)."""
    now = utcnow()
    enqueued = 0
    for connection in db.session.scalars(
        select(GoogleConnection).where(GoogleConnection.state == "connected")
    ):
        # Spread connections over a minute so they do not all pull at once.
        due = timedelta(seconds=SAFETY_NET_SECONDS + connection.id % 60)
        if connection.last_sync_at is None or now - connection.last_sync_at >= due:
            enqueued += _enqueue("pull", safety_pull_job, connection.id)
    return enqueued


@job
def channels_job() -> dict:
    """Scheduler: renew channels expiring within a day, open missing ones, stop orphans."""
    renew = {channel.connection_id for channel in channels.channels_due_for_renewal()}
    renew.update(channels.connections_without_channel())
    opened = sum(_enqueue("channel", channel_job, cid) for cid in renew)
    stopped = 0
    for channel in channels.orphan_channels():
        _stop_orphan(channel)
        stopped += 1
    db.session.commit()
    return {"renewing": opened, "stopped": stopped}


def _stop_orphan(channel: WatchChannel) -> None:
    connection = (
        db.session.get(GoogleConnection, channel.connection_id) if channel.connection_id else None
    )
    client = None
    if connection is not None and connection.state in ACTIVE_STATES:
        client = client_for(connection)
    try:
        channels.stop_channel(channel, client)
    except Exception as exc:  # Google unreachable: it expires there on its own
        log.warning("could not stop channel %s: %s", channel.channel_id, exc)
        channel.stopped_at = utcnow()


@job
def sweep_job() -> int:
    """Scheduler: re-enqueue outbox changes left behind and forget old notification records."""
    from portal.google.notifications import prune_notifications
    from portal.google.sweep import sweep_outbox

    enqueued = sweep_outbox()
    prune_notifications()
    db.session.commit()
    return enqueued
