"""RQ jobs for Google sync: thin functions that take ids, and the enqueueing of each.

Coalescing (queueing.py): while one job of a kind runs for a connection, at most one more
waits, however many notifications or edits arrive. A notification that follows the previous one
closely is part of a burst: its pull is scheduled for when the burst has passed (pull_job), so
a burst spread over seconds still costs two pulls, while a lone edit is pulled at once.
Exclusion: every job of a connection holds the connection's database lock (locks.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select, text

from portal.config import SYNC_TUNING
from portal.core.jobs import job
from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.account.clients import per_minute_throttle
from portal.google.api.client import CalendarClient
from portal.google.api.errors import GoogleApiError
from portal.google.realtime import channels
from portal.google.realtime.directory import ChannelFacts
from portal.google.realtime.heard import note_genuine, seconds_since_heard, take_heard
from portal.google.sync.activity import log_activity
from portal.google.sync.lock import connection_lock
from portal.google.sync.outbox import queue_unlinked_events
from portal.google.sync.pull import full_sync, pull_changes
from portal.google.sync.push import push_pending
from portal.google.worker.coalescer import (
    PENDING_TTL,
    enqueue_once,
    key,
    new_marker,
    still_waiting,
    submit,
)
from portal.models import GoogleConnection, WatchChannel, utcnow

log = logging.getLogger(__name__)


def enqueue_push_for_user(user_id: int) -> bool:
    """Enqueue the push of this user's outbox (deduplicated); False when not connected."""
    connection_id = db.session.scalar(
        select(GoogleConnection.id).where(
            GoogleConnection.user_id == user_id, GoogleConnection.is_active
        )
    )
    return connection_id is not None and enqueue_push(connection_id)


def enqueue_push(connection_id: int) -> bool:
    """Enqueue the push of one connection's outbox (deduplicated)."""
    return enqueue_once("push", push_job, connection_id)


def enqueue_pull(connection_id: int) -> bool:
    """Enqueue an incremental pull (coalesced: one running plus at most one waiting)."""
    return enqueue_once("pull", pull_job, connection_id)


def enqueue_pull_for_notice(facts: ChannelFacts, number: int | None) -> str:
    """A genuine notification: note it and make sure a pull will see its change.

    Returns "accepted" when this notification enqueued the pull, "coalesced" when one was
    already waiting, "stale" (nothing done) when `facts` are out of date. The first
    notification after a quiet spell pulls at once; one that comes within GOOGLE_BURST_GAP of
    the previous belongs to a burst, and its pull waits until the burst has passed (see
    pull_job): a burst costs two pulls, plus one per GOOGLE_BURST_MAX_WAIT it lasts.
    """
    connection_id = facts.connection_id
    pending = key("pending:pull", connection_id)
    job_id, marker = new_marker("pull", connection_id)
    noted = note_genuine(
        redis_connection(),
        facts,
        number,
        pending,
        marker,
        PENDING_TTL,
        _tuning("GOOGLE_BURST_GAP"),
    )
    if noted.verdict == "stale":
        return "stale"
    if noted.verdict == "waiting":
        if noted.marker is not None and still_waiting(pending, noted.marker):
            return "coalesced"
        redis_connection().set(pending, marker, ex=PENDING_TTL)
    if noted.verdict == "later":
        burst_started = time.time()
        submit("pull", pull_job, connection_id, burst_started, job_id=job_id, delay=_quiet())
    else:
        submit("pull", pull_job, connection_id, job_id=job_id)
    return "accepted"


def _tuning(name: str) -> float:
    return float(current_app.config.get(name, SYNC_TUNING[name]))


def _quiet() -> float:
    return _tuning("GOOGLE_BURST_QUIET")


def enqueue_initial_import(connection_id: int) -> bool:
    """Enqueue the first full import of a newly connected (or re-targeted) calendar."""
    return enqueue_once("import", import_job, connection_id)


def enqueue_disconnect(connection_id: int, remove_events: bool) -> bool:
    """Enqueue the disconnect: channels, optional clean-up on Google, revoke, wipe tokens."""
    return enqueue_once("disconnect", disconnect_job, connection_id, remove_events)


def pull_in_progress(connection_id: int) -> bool:
    """Whether a pull or import of this connection is waiting or running."""
    redis = redis_connection()
    keys = [key(k, connection_id) for k in ("pending:pull", "running:pull", "pending:import")]
    keys.append(key("running:import", connection_id))
    return bool(redis.exists(*keys))


def client_for(connection: GoogleConnection) -> CalendarClient:
    """A Calendar client with this connection's tokens and the shared per-user quota."""
    from portal.google.account.tokens import ConnectionTokens

    limit = int(current_app.config.get("GOOGLE_USER_QUOTA_PER_MINUTE", 600))
    throttle = per_minute_throttle(redis_connection(), connection.id, limit)
    return CalendarClient.from_config(current_app.config, ConnectionTokens(connection.id), throttle)


@contextmanager
def _running(kind: str, connection_id: int) -> Iterator[GoogleConnection | None]:
    """Clear the pending marker, hold the lock, and turn failures into visible states."""
    from portal.google.account.tokens import ReconnectNeeded

    redis = redis_connection()
    redis.delete(key(f"pending:{kind}", connection_id))
    redis.set(key(f"running:{kind}", connection_id), "1", ex=3600)
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
        redis.delete(key(f"running:{kind}", connection_id))


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
    return connection is not None and connection.can_sync


@job
def push_job(connection_id: int) -> str:
    """Push every pending outbox change of one connection, committing after each event."""
    with _running("push", connection_id) as connection:
        if not _active(connection):
            return "inactive"
        push_pending(connection, client_for(connection), checkpoint=db.session.commit)
        return "done"


@job
def pull_job(connection_id: int, burst_started: float | None = None) -> str:
    """Pull Google's changes for one connection (incremental, or full when needed).

    `burst_started` is set when notifications were arriving in a burst: while they keep
    coming (and for at most GOOGLE_BURST_MAX_WAIT) the pull is put off again, keeping the
    pending marker, so every notification of the burst coalesces into this one pull.
    """
    if burst_started is not None and _put_off(connection_id, burst_started):
        return "put off: notifications are still arriving"
    with _running("pull", connection_id) as connection:
        if not _active(connection):
            return "inactive"
        _record_heard(connection_id)
        counts = pull_changes(connection, client_for(connection), checkpoint=db.session.commit)
        return counts.summary()


def _put_off(connection_id: int, burst_started: float) -> bool:
    """Reschedule this pull if its burst is still going on; returns whether it did."""
    redis = redis_connection()
    since = seconds_since_heard(redis, connection_id)
    quiet = _quiet()
    if since is None or since >= quiet:
        return False
    if time.time() - burst_started >= _tuning("GOOGLE_BURST_MAX_WAIT"):
        return False
    job_id, marker = new_marker("pull", connection_id)
    # The marker now names the rescheduled job, so notifications keep coalescing into it.
    redis.set(key("pending:pull", connection_id), marker, ex=PENDING_TTL)
    submit("pull", pull_job, connection_id, burst_started, job_id=job_id, delay=quiet - since)
    return True


def _record_heard(connection_id: int) -> None:
    """Fold what the webhook noted in Redis into the channel rows (last heard, message number)."""
    try:
        heard = take_heard(redis_connection(), connection_id)
    except RedisError as exc:  # only bookkeeping: the pull itself must go on
        log.warning("could not read notifications heard for %s: %s", connection_id, exc)
        return
    channels.record_heard(connection_id, heard)


@job
def import_job(connection_id: int) -> str:
    """First sync of a calendar: import Google's events, then send the portal's own."""
    with _running("import", connection_id) as connection:
        if not _active(connection):
            return "inactive"
        client = client_for(connection)
        counts = full_sync(connection, client, checkpoint=db.session.commit)
        _refresh_statistics()
        queue_unlinked_events(connection)
        connection.state = "connected"
        db.session.commit()
        push_pending(connection, client, checkpoint=db.session.commit)
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
    from portal.google.account.disconnect import disconnect_connection

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
        _record_heard(connection_id)
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
            enqueued += enqueue_once("pull", safety_pull_job, connection.id)
    return enqueued


@job
def channels_job() -> dict:
    """Scheduler: renew channels expiring within a day, open missing ones, stop orphans,
    and erase channels stopped long ago."""
    renew = {channel.connection_id for channel in channels.channels_due_for_renewal()}
    renew.update(channels.connections_without_channel())
    opened = sum(enqueue_once("channel", channel_job, cid) for cid in renew)
    stopped = 0
    for channel in channels.orphan_channels():
        _stop_orphan(channel)
        stopped += 1
    forgotten = channels.forget_stopped_channels()
    db.session.commit()
    return {"renewing": opened, "stopped": stopped, "forgotten": forgotten}


def _stop_orphan(channel: WatchChannel) -> None:
    connection = (
        db.session.get(GoogleConnection, channel.connection_id) if channel.connection_id else None
    )
    client = None
    if connection is not None and connection.is_active:
        client = client_for(connection)
    try:
        channels.stop_channel(channel, client)
    except Exception as exc:  # Google unreachable: it expires there on its own
        log.warning("could not stop channel %s: %s", channel.channel_id, exc)
        channel.stopped_at = utcnow()


@job
def sweep_job() -> int:
    """Scheduler: re-enqueue outbox changes left behind."""
    from portal.google.worker.sweep import sweep_outbox

    enqueued = sweep_outbox()
    db.session.commit()
    return enqueued
