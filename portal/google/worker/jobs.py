"""The RQ jobs of the Google sync: thin functions that take ids, and the guard they run in.

Every job of a connection holds the connection's database lock (sync/lock.py) and reads the
connection afresh; a job that finds it no longer active does nothing. Google's refusals become
what the card shows (`syncing`); RQ retries what may work later (retry_policy in enqueue.py).
Enqueueing, and coalescing what asks for the same job, is enqueue.py's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job
from sqlalchemy import text

from portal.config import sync_tuning
from portal.core.jobs import job
from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.account.clients import client_for, sync_client_for
from portal.google.account.disconnect import disconnect_connection
from portal.google.account.incidents import close_incidents
from portal.google.account.lost_calendar import CalendarGone, stop_for_lost_calendar
from portal.google.account.tokens import ReconnectNeeded
from portal.google.api.client import CalendarClient
from portal.google.api.errors import GoogleApiError
from portal.google.intervals import SWEEP_EVERY
from portal.google.realtime import channels
from portal.google.realtime.heard import seconds_since_heard, take_heard
from portal.google.sync.activity import log_activity
from portal.google.sync.lock import connection_lock
from portal.google.sync.outbox import queue_unlinked_events
from portal.google.sync.pull import full_sync, pull_changes
from portal.google.sync.push import push_pending
from portal.google.worker import enqueue, housekeeping, safety_net
from portal.google.worker.coalescer import running
from portal.models import GoogleConnection, utcnow

log = logging.getLogger(__name__)

# What a job does once its connection is locked, fresh and able to sync; returns its result.
Work = Callable[[GoogleConnection, CalendarClient], str]


@contextmanager
def syncing(connection_id: int) -> Iterator[GoogleConnection | None]:
    """Hold the connection's lock and read it afresh; commit when the block succeeds."""
    with connection_lock(connection_id), fresh(connection_id) as connection:
        yield connection


@contextmanager
def fresh(connection_id: int) -> Iterator[GoogleConnection | None]:
    """Read the (locked) connection afresh; commit when the block succeeds.

    A Google error is recorded on the connection (the card shows it) and raised again, as are
    ReconnectNeeded once its state change is committed and CalendarGone once the connection
    has stopped for the lost calendar. No Redis: commands run without it.
    """
    # One SELECT, fresh even if the session held the row already (another job's lock).
    connection = db.session.get(GoogleConnection, connection_id, populate_existing=True)
    try:
        yield connection
    except (ReconnectNeeded, CalendarGone, GoogleApiError) as exc:
        _settle_failure(connection_id, exc)
        raise
    if connection is not None and connection.is_active and connection.last_error:
        # It worked again: the card should stop showing the old failure.
        connection.last_error = connection.last_error_at = None
    db.session.commit()


def _settle_failure(
    connection_id: int, exc: ReconnectNeeded | CalendarGone | GoogleApiError
) -> None:
    """Commit what a failed step leaves for the card to show."""
    if isinstance(exc, ReconnectNeeded):
        # The token code has already moved the connection to needs_reconnect.
        db.session.commit()
        return
    # What the step wrote is undone (an event's outbox rows stay pending).
    db.session.rollback()
    if isinstance(exc, CalendarGone):
        stop_for_lost_calendar(connection_id, exc)
        db.session.commit()
    else:
        _record_error(connection_id, exc)


@contextmanager
def _running(kind: str, connection_id: int) -> Iterator[GoogleConnection | None]:
    """A job's run: its coalescing markers, `syncing`, and only retryable failures raised."""
    with running(kind, connection_id):
        try:
            with syncing(connection_id) as connection:
                yield connection
        except (ReconnectNeeded, CalendarGone):
            pass  # recorded; only the coordinator can help (sign in, or choose a calendar)
        except GoogleApiError as exc:
            if must_retry(exc):
                raise


def must_retry(exc: GoogleApiError) -> bool:
    """Whether a failed job is tried again: Google busy, or an access token it refused."""
    return exc.retryable or exc.status == 401


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
    if exc.usage_limited:
        return (
            "Google is limiting how many requests Coordinoter may send (usage limits). "
            f"Your changes are kept and sent automatically; next try {_next_try(exc)}."
        )
    if exc.retryable:
        return "Google is busy or unavailable right now; we will keep trying automatically."
    if exc.status == 404:
        return "The Google calendar we sync with cannot be found. Choose another calendar."
    if exc.status == 403:
        return "Google refused access to the calendar. Reconnect and allow calendar access."
    return f"Google answered an error ({exc.status} {exc.reason}). We will try again later."


def _next_try(exc: GoogleApiError) -> str:
    """When the job will be tried again, in words: Google's Retry-After, RQ's next retry,
    or the clock's sweep of the outbox once the retries are spent."""
    wait = exc.retry_after
    current = get_current_job()
    if wait is None and current is not None and current.retries_left:
        wait = current.get_retry_interval()
    if wait is None:
        wait = SWEEP_EVERY
    minutes = max(1, round(wait / 60))
    return "in about a minute" if minutes == 1 else f"in about {minutes} minutes"


# Jobs of these kinds pull (a channel's opening catches up with one): each sets the next
# safety pull when it has pulled.
_PULLING = ("pull", "look", "import", "channel")


def _sync_job(kind: str, connection_id: int, work: Work) -> str:
    """Run work(connection, client) as a job of this kind, unless the connection cannot sync."""
    with _running(kind, connection_id) as connection:
        if connection is None or not connection.can_sync:
            return "inactive"
        result = work(connection, sync_client_for(connection))
        if kind in _PULLING:
            safety_net.schedule_next_pull(connection)
        return result


@job
def push_job(connection_id: int) -> str:
    """Push every pending outbox change of one connection, committing after each event."""
    return _sync_job("push", connection_id, _push)


def _push(connection: GoogleConnection, client: CalendarClient) -> str:
    push_pending(connection, client, checkpoint=db.session.commit)
    return "done"


@job
def pull_job(connection_id: int, burst_started: float | None = None, noticed: bool = False) -> str:
    """Pull Google's changes for one connection (incremental, or full when needed).

    `burst_started` is set when notifications were arriving in a burst: while they keep
    coming (and for at most GOOGLE_BURST_MAX_WAIT) the pull is put off again, keeping the
    pending marker, so every notification of the burst coalesces into this one pull.
    `noticed`: a notification asked for this pull; if Google's list holds nothing yet, it
    gets one more look GOOGLE_LATE_LOOK seconds later.
    """
    if burst_started is not None and _put_off(connection_id, burst_started, noticed):
        return "put off: notifications are still arriving"
    return _sync_job("pull", connection_id, partial(pull_work, look_again=noticed))


@job
def second_look_job(connection_id: int, asked_at: float = 0.0) -> str:
    """The one later look after a notified pull found nothing (see pull_job)."""
    if enqueue.pull_in_progress(connection_id) or _pulled_since(connection_id, asked_at):
        return "skipped: another pull has looked since, or is about to"
    # A kind of its own: notifications meanwhile still pull at once, and coalesce as usual.
    return _sync_job("look", connection_id, pull_work)


@job
def safety_pull_job(connection_id: int) -> str:
    """The periodic pull that catches lost notifications and replaces a channel gone silent."""
    return _sync_job("pull", connection_id, partial(pull_work, watch_silence=True))


def _pulled_since(connection_id: int, moment: float) -> bool:
    connection = db.session.get(GoogleConnection, connection_id)
    synced = connection.last_sync_at if connection is not None else None
    return synced is not None and synced.timestamp() > moment


def pull_work(
    connection: GoogleConnection,
    client: CalendarClient,
    watch_silence: bool = False,
    look_again: bool = False,
    heard_taken: bool = False,
) -> str:
    """Pull a connection's changes (after folding in what its channels told us, unless the
    caller has: `heard_taken`); a pull that finds nothing right after a notice looks again."""
    if not heard_taken:
        fold_heard(connection.id)
    counts = pull_changes(connection, client, checkpoint=db.session.commit)
    if watch_silence:
        channels.replace_if_silent(
            connection, client, counts.earliest_change, checkpoint=db.session.commit
        )
    if look_again and counts.is_empty:
        # Google does not promise that the list right after a notification already holds
        # the change: integrators see it surface a few seconds later. One more look, no more.
        late = sync_tuning(current_app.config, "GOOGLE_LATE_LOOK")
        enqueue.enqueue_second_look(connection.id, late)
        return f"{counts.summary()}; looking again in a moment"
    return counts.summary()


def _put_off(connection_id: int, burst_started: float, noticed: bool) -> bool:
    """Reschedule this pull if its burst is still going on; returns whether it did."""
    since = seconds_since_heard(redis_connection(), connection_id)
    quiet = sync_tuning(current_app.config, "GOOGLE_BURST_QUIET")
    if since is None or since >= quiet:
        return False
    if time.time() - burst_started >= sync_tuning(current_app.config, "GOOGLE_BURST_MAX_WAIT"):
        return False
    enqueue.enqueue_pull_later(connection_id, burst_started, delay=quiet - since, noticed=noticed)
    return True


def fold_heard(connection_id: int) -> bool:
    """Fold what the webhook noted in Redis into the channel rows (last heard, message number);
    returns whether a channel heard from is still open."""
    try:
        heard = take_heard(redis_connection(), connection_id)
    except RedisError as exc:  # only bookkeeping: the pull itself must go on
        log.warning("could not read notifications heard for %s: %s", connection_id, exc)
        return False
    return channels.record_heard(connection_id, heard)


@job
def import_job(connection_id: int) -> str:
    """First sync of a calendar: import Google's events, listen, then send the portal's own."""
    return _sync_job("import", connection_id, _import)


def _import(connection: GoogleConnection, client: CalendarClient) -> str:
    counts = full_sync(connection, client, checkpoint=db.session.commit)
    # Listening comes straight after the listing, before the slow part (the portal's own
    # events), so a change made in Google meanwhile is announced rather than left waiting.
    channels.listen_and_catch_up(connection, client, checkpoint=db.session.commit)
    _refresh_statistics()
    queue_unlinked_events(connection)
    connection.state = "connected"
    close_incidents(connection)  # synced again: whatever broke is fixed
    db.session.commit()
    push_pending(connection, client, checkpoint=db.session.commit)
    return counts.summary()


def _refresh_statistics() -> None:
    """After a bulk import, let PostgreSQL's planner see the new rows before autovacuum does."""
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        db.session.execute(text("ANALYZE event_link, event"))


@job
def disconnect_job(connection_id: int, remove_events: bool) -> str:
    """Disconnect a coordinator's Google account (see disconnect.disconnect_connection)."""
    with _running("disconnect", connection_id):
        disconnect_connection(connection_id, remove_events, client_for)
        return "disconnected"


@job
def channel_job(connection_id: int) -> str:
    """Open (or renew) the watch channel of one connection."""
    return _sync_job("channel", connection_id, _open_channel)


def _open_channel(connection: GoogleConnection, client: CalendarClient) -> str:
    opened = channels.listen_and_catch_up(connection, client, checkpoint=db.session.commit)
    return "opened" if opened else "polling"


@job
def safety_net_job() -> int:
    """Clock: enqueue the safety-net pull of each connection that is due (safety_net.py),
    and a drain for each shard with marked connections but no drain coming."""
    enqueue.enqueue_drains()
    return safety_net.enqueue_due_pulls()


@job
def channels_job() -> dict:
    """Clock: renew channels expiring within a day, open missing ones, stop orphans,
    and erase channels stopped long ago; each scan in SQL, capped."""
    cap = int(sync_tuning(current_app.config, "GOOGLE_CHANNEL_SCAN_CAP"))
    renew = channels.connections_due_for_renewal(cap)
    renew += [cid for cid in channels.connections_without_channel(cap) if cid not in renew]
    opened = enqueue.enqueue_channels(renew)
    stopped = channels.stop_orphans(cap, _client_if_active)
    forgotten = channels.forget_stopped_channels()
    db.session.commit()
    return {"renewing": opened, "stopped": stopped, "forgotten": forgotten}


def _client_if_active(connection_id: int | None) -> CalendarClient | None:
    connection = db.session.get(GoogleConnection, connection_id) if connection_id else None
    return client_for(connection) if connection is not None and connection.is_active else None


@job
def housekeeping_job() -> dict:
    """Clock, daily: prune processed outbox rows and old activity rows (housekeeping.py)."""
    return housekeeping.prune(current_app.config)


@job
def sweep_job() -> int:
    """Clock: re-enqueue outbox changes left behind."""
    enqueued = enqueue.sweep_outbox()
    db.session.commit()
    return enqueued
