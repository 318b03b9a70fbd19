"""Driving the system to quiescence, and what it says when it will not get there: what keeps
it busy, which jobs failed for good, and what each connection last recorded.
"""

from __future__ import annotations

import time
from collections import Counter

from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler
from sqlalchemy import or_, select

from portal.extensions import db
from portal.google.worker.enqueue import enqueue_pull
from portal.models import Event, OutboxEntry
from tests.chaos.values import google_value, own_answer, portal_value
from tests.chaos.world import World
from tests.support.worker import failed_jobs, run_jobs

# Activity outcomes that say a connection is in trouble (shown when a run fails).
TROUBLE = ("failed", "needs_reconnect", "silent_channel", "polling")


class NotQuiet(AssertionError):
    """The system was still busy when the deadline came."""


def quiesce(world: World, deadline: float) -> int:
    """Sweep the outbox and pull until a round changes nothing; returns the rounds it took.

    The workers are stopped first (each finishes its job), so the rounds run here, in order.
    """
    world.stop_workers()
    runner = world.app.test_cli_runner()
    previous, rounds = None, 0
    while time.monotonic() < deadline:
        rounds += 1
        world.google.wait_notifications(timeout=5)
        runner.invoke(args=["google", "sweep"])
        for account in world.accounts:
            enqueue_pull(account.connection_id)
        work_off(deadline)
        now = fingerprint(world)
        if now == previous and not pending_changes():
            return rounds
        previous = now
    raise NotQuiet(f"no quiescence before the deadline ({rounds} rounds): {stuck_state(world)}")


def work_off(deadline: float) -> None:
    """Run every queued job here, and every delayed one once it is due, until none is left.

    With the workers stopped their schedulers are gone too, so this plays the scheduler's
    part: delayed jobs (retries, pulls put off while notifications kept coming) move to the
    queue when due, as RQScheduler would move them.
    """
    from portal.core.queue import get_queue, redis_connection

    queue = get_queue()
    scheduled = ScheduledJobRegistry(queue=queue)
    scheduler = RQScheduler([queue], connection=redis_connection())
    scheduler.prepare_registries([queue.name])
    while time.monotonic() < deadline:
        scheduler.enqueue_scheduled_jobs()
        if queue.count:
            run_jobs(max_seconds=max(1.0, deadline - time.monotonic()))
        elif scheduled.count:
            time.sleep(0.05)
        else:
            return


def overdue_jobs(grace: float) -> list[str]:
    """Delayed jobs due more than `grace` seconds ago that no scheduler has moved."""
    from portal.core.queue import get_queue

    queue = get_queue()
    registry = ScheduledJobRegistry(queue=queue)
    return list(registry.get_jobs_to_schedule(int(time.time() - grace)))


def stuck_state(world: World) -> str:
    """What keeps the system busy: outbox rows, Redis markers, queued, delayed, started jobs."""
    from portal.core.queue import get_queue, redis_connection

    redis = redis_connection()
    markers = sorted(k.decode() for k in redis.scan_iter("coordinoter:*ing:*"))
    queue = get_queue()
    return (
        f"{pending_changes()} outbox row(s) pending; markers {markers}; "
        f"{queue.count} queued, {ScheduledJobRegistry(queue=queue).count} delayed, "
        f"{queue.started_job_registry.count} started"
    )


def fingerprint(world: World) -> tuple:
    """Every account's live rows on both sides (with the coordinator's answers), to tell
    whether a round changed anything."""
    db.session.rollback()
    db.session.expire_all()
    seen = []
    for account in world.accounts:
        stmt = select(Event).where(Event.owner_id == account.user_id, Event.deleted_at.is_(None))
        portal = sorted(
            (e.id, portal_value(e), e.recurrence or "", e.response_status or "")
            for e in db.session.scalars(stmt)
        )
        google = sorted(
            (i["id"], google_value(i), tuple(i.get("recurrence", ())), own_answer(i) or "")
            for i in world.google.list_events(account.calendar_id)
        )
        seen.append((tuple(portal), tuple(google)))
    return tuple(seen)


def pending_event_ids() -> set[int]:
    """The events with outbox rows not yet pushed."""
    db.session.rollback()
    stmt = select(OutboxEntry.event_id).where(OutboxEntry.processed_at.is_(None))
    return set(db.session.scalars(stmt))


def pending_changes() -> int:
    """Outbox rows not yet pushed."""
    db.session.rollback()
    return len(
        db.session.scalars(select(OutboxEntry.id).where(OutboxEntry.processed_at.is_(None))).all()
    )


def failed_job_summaries() -> list[str]:
    """Jobs that ended in RQ's failed registry: the last line of each error, with its count."""
    errors: Counter = Counter()
    for job in failed_jobs():
        result = job.latest_result() if job else None
        error = (result.exc_string or "") if result else ""
        last = error.strip().splitlines()[-1:] or ["(no error recorded)"]
        errors[f"{job.func_name if job else '?'}: {last[0]}"] += 1
    return [f"{text} (×{count})" for text, count in errors.items()]


def account_states(world: World) -> list[str]:
    """Each connection as the portal last committed it, with its latest errors: why a side
    stopped listening is usually written here."""
    from portal.models import GoogleConnection, SyncLog

    db.session.rollback()
    lines = []
    for account in world.accounts:
        connection = db.session.get(GoogleConnection, account.connection_id)
        lines.append(
            f"[{account.privacy_level}] connection {connection.id}: {connection.state}, "
            f"sync token {'kept' if connection.sync_token else 'none'}, "
            f"last sync {connection.last_sync_at}, last error {connection.last_error!r}"
        )
        errors = db.session.scalars(
            select(SyncLog)
            .where(
                SyncLog.connection_id == connection.id,
                or_(SyncLog.kind == "error", SyncLog.outcome.in_(TROUBLE)),
            )
            .order_by(SyncLog.id.desc())
            .limit(3)
        )
        lines += [f"    {e.created_at} {e.kind}/{e.outcome}: {e.message}" for e in errors]
    return lines
