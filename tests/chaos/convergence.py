"""Driving the system to quiescence, then checking that both sides say the same thing."""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import select

from portal.extensions import db
from portal.google.jobs import enqueue_pull
from portal.models import Event, EventLink, OutboxEntry
from tests.chaos.driver import Tracked
from tests.chaos.values import google_value, portal_value
from tests.chaos.world import World
from tests.support.worker import failed_jobs, run_jobs


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
        enqueue_pull(world.connection_id)
        run_jobs(max_seconds=max(1.0, deadline - time.monotonic()))
        now = fingerprint(world)
        if now == previous and not pending_changes():
            return rounds
        previous = now
    raise AssertionError(
        f"no quiescence before the deadline ({rounds} rounds): {stuck_state(world)}"
    )


def stuck_state(world: World) -> str:
    """What keeps the system busy: outbox rows, Redis markers, queued and started jobs."""
    from portal.core.queue import get_queue, redis_connection

    redis = redis_connection()
    markers = sorted(k.decode() for k in redis.scan_iter("coordinoter:*ing:*"))
    queue = get_queue()
    return (
        f"{pending_changes()} outbox row(s) pending; markers {markers}; "
        f"{queue.count} queued, {queue.started_job_registry.count} started"
    )


def fingerprint(world: World) -> tuple:
    """Both sides' live events, to tell whether a round changed anything."""
    portal = sorted((e.id, portal_value(e)) for e in live_portal_events(world))
    google = sorted((i["id"], google_value(i)) for i in world.google.list_events(world.calendar_id))
    return (tuple(portal), tuple(google))


def pending_changes() -> int:
    """Outbox rows not yet pushed."""
    db.session.rollback()
    return len(
        db.session.scalars(select(OutboxEntry.id).where(OutboxEntry.processed_at.is_(None))).all()
    )


def live_portal_events(world: World) -> list[Event]:
    """The coordinator's events that are not tombstoned, as committed now."""
    db.session.rollback()
    db.session.expire_all()
    stmt = select(Event).where(Event.owner_id == world.user_id, Event.deleted_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Event.id)))


def problems(world: World, tracked: list[Tracked]) -> list[str]:
    """Everything that is not converged: mismatches, duplicates, lost and resurrected events."""
    portal = {e.id: e for e in live_portal_events(world)}
    google = {i["id"]: i for i in world.google.list_events(world.calendar_id)}
    links = dict(
        db.session.execute(
            select(EventLink.event_id, EventLink.google_event_id).where(
                EventLink.connection_id == world.connection_id
            )
        ).all()
    )
    found = _mirror_problems(portal, google, links)
    found += _duplicates(portal, google)
    for item in tracked:
        found += _expectations(item, portal, google, links)
    return found


def _mirror_problems(portal: dict, google: dict, links: dict) -> list[str]:
    found = []
    mirrored = set()
    for event_id, event in portal.items():
        google_id = links.get(event_id)
        if google_id not in google:
            found.append(f"portal #{event_id} {portal_value(event)} is not live on Google")
            continue
        mirrored.add(google_id)
        if portal_value(event) != google_value(google[google_id]):
            found.append(
                f"#{event_id} differs: portal {portal_value(event)} vs Google "
                f"{google_value(google[google_id])}"
            )
    for google_id, item in google.items():
        if google_id not in mirrored:
            found.append(f"Google {google_id} {google_value(item)} is not live in the portal")
    return found


def _duplicates(portal: dict, google: dict) -> list[str]:
    titles = Counter(e.title for e in portal.values())
    found = [f"portal has {n} live “{t}”" for t, n in titles.items() if n > 1]
    titles = Counter(i.get("summary") for i in google.values())
    return found + [f"Google has {n} live “{t}”" for t, n in titles.items() if n > 1]


def _expectations(item: Tracked, portal: dict, google: dict, links: dict) -> list[str]:
    by_google = {g: p for p, g in links.items()}
    portal_id = item.portal_id or by_google.get(item.google_id)
    google_id = item.google_id or links.get(item.portal_id)
    live_here, live_there = portal_id in portal, google_id in google
    if item.deleted_on:
        if live_here or live_there:
            return [f"{item.key} was deleted in {item.deleted_on} but is live again (resurrected)"]
        return []
    if not (live_here and live_there):
        side = "the portal" if not live_here else "Google"
        return [f"{item.key} was never deleted but is missing from {side} (lost)"]
    final = portal_value(portal[portal_id])
    if final not in item.written():
        written = " / ".join(str(v) for v in item.written())
        return [f"{item.key} ended as {final}, which neither side wrote (last writes: {written})"]
    return []


def failed_job_summaries() -> list[str]:
    """Jobs that ended in RQ's failed registry, with the last line of their error."""
    summaries = []
    for job in failed_jobs():
        result = job.latest_result() if job else None
        error = (result.exc_string or "") if result else ""
        last = error.strip().splitlines()[-1:] or ["(no error recorded)"]
        summaries.append(f"{job.func_name if job else '?'}: {last[0]}")
    return summaries
