"""Days of the clock for a few idle coordinators, against the emulator, in a few seconds each.

Time is moved, not waited for: every instant the portal stored (due times, token expiries,
channel expiries and confirmations) is shifted into the past by the step, which to the portal
is the clock moving forward by it. The steps jump from one moment something is due to the
next (a safety pull, or the channel tick that renews), in whole clock ticks, because the ticks
in between find nothing due and cost Google nothing. At each step the clock's real jobs run
(the safety net every minute, the channel upkeep every 10 minutes) and the real worker does
what they enqueued; the emulator counts every call, token refreshes included.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

from sqlalchemy import func, select, text

from bench.harness import Stack
from portal.extensions import db
from portal.google.intervals import CHANNELS_EVERY, SAFETY_NET_EVERY
from portal.google.realtime.channels import RENEW_WITHIN
from portal.models import GoogleConnection, WatchChannel, utcnow

# Every stored instant the clock's decisions read; shifting them all is moving the clock.
SHIFTED = {
    "google_connection": ("next_pull_at", "token_expires_at", "last_sync_at", "updated_at"),
    "watch_channel": (
        "expires_at",
        "created_at",
        "live_at",
        "last_notification_at",
        "stopped_at",
    ),
}


def move_clock(seconds: int) -> None:
    """To the portal, `seconds` pass: every stored instant moves that far into the past."""
    for table, columns in SHIFTED.items():
        sets = ", ".join(f"{c} = {c} - make_interval(secs => :s)" for c in columns)
        db.session.execute(text(f"UPDATE {table} SET {sets}"), {"s": seconds})
    db.session.commit()


def _ticks_until(moment: datetime | None, every: int, elapsed: int) -> int:
    """Seconds from `elapsed` to the first tick of period `every` at or after `moment`."""
    if moment is None:
        return 10**9
    wait = max(0.0, (moment - utcnow()).total_seconds())
    return max(every, math.ceil((elapsed + wait) / every) * every - elapsed)


def next_step(elapsed: int) -> int:
    """Seconds of simulated time until the clock next has something to do."""
    due = db.session.scalar(
        select(func.min(GoogleConnection.next_pull_at)).where(GoogleConnection.state == "connected")
    )
    expiry = db.session.scalar(
        select(func.min(WatchChannel.expires_at)).where(WatchChannel.stopped_at.is_(None))
    )
    renew = None if expiry is None else expiry - RENEW_WITHIN
    db.session.commit()
    return min(
        _ticks_until(due, SAFETY_NET_EVERY, elapsed),
        _ticks_until(renew, CHANNELS_EVERY, elapsed),
    )


def simulate(stack: Stack, days: float) -> tuple[Counter, int]:
    """Run the clock for `days` simulated days; returns the Google calls by method and steps."""
    from portal.google.worker import jobs

    calls: Counter = Counter()
    elapsed, steps = 0, 0
    stack.wait_idle()
    stack.google.clear_request_log()
    while True:
        step = next_step(elapsed)
        if elapsed + step > days * 86400:
            break
        move_clock(step)
        crossed_channel_tick = (elapsed + step) // CHANNELS_EVERY > elapsed // CHANNELS_EVERY
        elapsed += step
        jobs.safety_net_job()
        if crossed_channel_tick:
            jobs.channels_job()
        stack.wait_idle()
        calls.update(stack.google.request_counts())
        stack.google.clear_request_log()
        steps += 1
    return calls, steps
