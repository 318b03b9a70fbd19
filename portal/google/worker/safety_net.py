"""The safety net by due time: when each connection's next safety pull is due, and the tick that
enqueues the due ones.

Every pull sets the connection's `next_pull_at` (schedule_next_pull). A connection whose live
channel is healthy gets the long interval, GOOGLE_HEALTHY_PULL_EVERY: its notifications carry
the changes, and the pull only catches one Google lost. One that has no confirmed channel
(silent and replaced, refused, expired, polling only) keeps the quick SAFETY_NET_AFTER. Each
due time is jittered over the whole interval (half to one and a half of it), so connections
that pulled together drift apart instead of coming due in the same tick.

What an idle coordinator with a healthy channel costs Google a day (the issue's budget: 24):
- a safety pull every 2.5 h on average is 9.6 pulls; the access token lasts an hour, so each
  pull also refreshes it: 2 calls each, 19.2;
- the channel is renewed every ~6 days (a day before its 7-day expiry): a refresh, the watch,
  the catch-up list, the old channel's stop, and one quick pull before the new channel is
  confirmed, about 5 calls, 0.8 a day;
- in all about 20 calls a day, against ~110 with a 15-minute pull for everyone. At 10,000
  coordinators that is 200,000 calls a day, a fifth of a project's 1,000,000.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, select, update

from portal.config import sync_tuning
from portal.extensions import db
from portal.google.intervals import SAFETY_NET_AFTER
from portal.google.worker import enqueue
from portal.models import GoogleConnection, WatchChannel, utcnow


def healthy_channel(connection: GoogleConnection) -> bool:
    """Whether Google is known to be announcing this calendar's changes: an open, unexpired
    channel it confirmed (its `sync` message) or has notified on, and no polling fallback."""
    if connection.polling_only:
        return False
    heard = (WatchChannel.live_at.is_not(None)) | (WatchChannel.last_notification_at.is_not(None))
    stmt = select(
        exists().where(
            WatchChannel.connection_id == connection.id,
            WatchChannel.stopped_at.is_(None),
            WatchChannel.expires_at > utcnow(),
            heard,
        )
    )
    return bool(db.session.scalar(stmt))


def pull_interval(healthy: bool) -> float:
    """The mean seconds until the next safety pull: long for a healthy channel, else quick."""
    if healthy:
        return sync_tuning(current_app.config, "GOOGLE_HEALTHY_PULL_EVERY")
    return float(SAFETY_NET_AFTER)


def schedule_next_pull(
    connection: GoogleConnection, now: datetime | None = None, healthy: bool | None = None
) -> datetime:
    """After a pull: set when the safety net pulls this connection next; returns the time.

    `healthy` is healthy_channel's answer when the caller asked it already.
    """
    interval = pull_interval(healthy_channel(connection) if healthy is None else healthy)
    # Jitter over the whole interval, with its mean the interval itself.
    seconds = interval * random.uniform(0.5, 1.5)
    connection.next_pull_at = (now or utcnow()) + timedelta(seconds=seconds)
    return connection.next_pull_at


def due_connections(now: datetime, limit: int) -> list[int]:
    """Connected calendars whose safety pull is due, the most overdue first, at most `limit`."""
    stmt = (
        select(GoogleConnection.id)
        .where(GoogleConnection.state == "connected", GoogleConnection.next_pull_at <= now)
        .order_by(GoogleConnection.next_pull_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def hold(connection_ids: list[int], now: datetime) -> None:
    """Put these due connections off by the quick interval while their pulls wait.

    The pull sets the real next time when it runs; if its job is lost, the connection comes
    due again this much later. Meanwhile later ticks do not select it again, so a backlog of
    waiting pulls costs the tick nothing. A row a pull has already moved on is left alone.
    """
    db.session.execute(
        update(GoogleConnection)
        .where(GoogleConnection.id.in_(connection_ids), GoogleConnection.next_pull_at <= now)
        .values(next_pull_at=now + timedelta(seconds=SAFETY_NET_AFTER))
        .execution_options(synchronize_session=False)
    )


def enqueue_due_pulls(now: datetime | None = None) -> int:
    """The clock's tick: enqueue the due pulls, at most GOOGLE_TICK_CAP; returns how many.

    With nothing due this is one indexed query, whatever the number of connections. The rest
    of a large backlog stays due for the next tick, most overdue first.
    """
    now = now or utcnow()
    due = due_connections(now, int(sync_tuning(current_app.config, "GOOGLE_TICK_CAP")))
    if not due:
        return 0
    # Held and committed before enqueueing: a pull that runs at once then sets its own time
    # after ours, never the other way round.
    hold(due, now)
    db.session.commit()
    return enqueue.enqueue_safety_pulls(due)
