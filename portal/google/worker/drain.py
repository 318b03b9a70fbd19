"""The drain job: one RQ job pulls many of the connections notifications marked dirty.

RQ spends some 65 Redis commands on every job, more than a notification's whole pull should
cost; so notifications mark their connection in its shard's set (dirty.py) and one drain job
per shard pulls up to DRAIN_BATCH of them, each in turn under its own lock and its own commit.

The shard's drain marker is released first, so a notification from then on enqueues the next
drain; a connection's mark is taken when its pull starts, so one marked again while it is
being pulled is pulled once more, by this drain or the next. A connection whose lock another
job holds goes back for a moment later; one that fails goes to a pull job of its own, which
RQ retries as any other. A worker killed mid-drain loses only the pull it was running (the
safety net's pull covers it); the marks still waiting stay, and the next notification in the
shard or the safety net's check of every shard (enqueue.enqueue_drains) drains them.
"""

from __future__ import annotations

import logging
import time

from portal.core.jobs import job
from portal.extensions import db
from portal.google.account.clients import sync_client_for
from portal.google.account.lost_calendar import CalendarGone
from portal.google.account.tokens import ReconnectNeeded
from portal.google.api.errors import GoogleApiError
from portal.google.sync.lock import LockHolder, lock_holder
from portal.google.worker import coalescer, dirty, enqueue, safety_net
from portal.google.worker.coalescer import running
from portal.google.worker.jobs import fold_heard, fresh, must_retry, pull_work

log = logging.getLogger(__name__)

DRAIN_BATCH = 50
# How long a connection whose lock another job holds waits before it is tried again.
BUSY_DELAY = 2.0


@job
def drain_job(shard: int) -> str:
    """Pull up to DRAIN_BATCH of the shard's marked connections, each on its own."""
    coalescer.release("drain", shard)
    pulled = busy = 0
    with lock_holder() as locks:
        for _ in range(DRAIN_BATCH):
            connection_id = dirty.pop_due(shard)
            if connection_id is None:
                break
            if drain_one(locks, connection_id):
                pulled += 1
            else:
                busy += 1
    # More marks than one batch, or some put back: another drain takes them.
    enqueue.enqueue_drain_if_dirty(shard)
    return f"pulled {pulled}, busy {busy}"


def drain_one(locks: LockHolder, connection_id: int) -> bool:
    """Pull one marked connection if its lock is free; False when it was put back for later."""
    if not locks.try_lock(connection_id):
        dirty.put_back(connection_id, time.time() + BUSY_DELAY)
        return False
    try:
        _pull_locked(connection_id)
    except Exception as exc:  # one connection's failure must not stop the rest
        db.session.rollback()
        _after_failure(connection_id, exc)
    finally:
        locks.unlock(connection_id)
    return True


def _pull_locked(connection_id: int) -> None:
    """The pull a notification asked for, as pull_job runs it, under the lock already held."""
    with running("pull", connection_id, release_pending=False), fresh(connection_id) as connection:
        if connection is None or not connection.can_sync:
            return
        # Known before the pull, so no query after it flushes its changes early: the new sync
        # token and the next due time go in one UPDATE. A notification's pull replaces no
        # channel, so the answer holds after it too. A channel that just notified and is
        # still open answers it without a query of its own.
        heard_open = fold_heard(connection_id) and not connection.polling_only
        healthy = heard_open or safety_net.healthy_channel(connection)
        client = sync_client_for(connection)
        pull_work(connection, client, look_again=True, heard_taken=True)
        safety_net.schedule_next_pull(connection, healthy=healthy)


def _after_failure(connection_id: int, exc: Exception) -> None:
    """What pull_job's failure would have led to: RQ's retries, or nothing more to do."""
    if isinstance(exc, ReconnectNeeded | CalendarGone):
        return  # recorded; only the coordinator can help (sign in, or choose a calendar)
    if isinstance(exc, GoogleApiError) and not must_retry(exc):
        return  # recorded on the card
    if not isinstance(exc, GoogleApiError):
        log.exception("drain: the pull of connection %s failed", connection_id)
    enqueue.enqueue_retry_pull(connection_id)
