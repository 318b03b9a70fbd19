"""Product bugs the chaos run finds that are not fixed yet, and how to recognise each one in
the state a run ends in.

Each has a replay in a fixed order in test_races.py (a strict xfail, so fixing the bug shows
up there). A chaos run whose every problem concerns events such a bug explains is reported
as an expected failure that names its seed; any other problem fails the run as before.
CHAOS_STRICT=1 fails on these too (for whoever fixes them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import or_, select

from portal.calendar.recurrence import original_of, produces
from portal.extensions import db
from portal.google.mapping import instance_id_for
from portal.models import Event, EventLink, OutboxEntry
from tests.chaos.world import Account, World

STRICT = os.environ.get("CHAOS_STRICT", "") not in ("", "0")


@dataclass(frozen=True)
class KnownBug:
    """One known product bug seen in this run, and the portal events it explains."""

    name: str
    summary: str
    replay: str
    events: frozenset[int] = frozenset()
    kinds: frozenset[str] = frozenset()

    def explains(self, problem) -> bool:
        """Whether this bug accounts for the problem (by the events or the kind it is about)."""
        return bool(problem.about & self.events) or problem.kind in self.kinds

    def __str__(self) -> str:
        ids = ", ".join(f"#{i}" for i in sorted(self.events))
        return f"{self.name} (events {ids or '-'}): {self.summary} [replay: {self.replay}]"


def known_bugs(world: World, problems: list) -> list[KnownBug]:
    """The known bugs whose traces are in the portal's state now (any account), or among
    the problems found."""
    found = []
    if any(p.kind == "overdue" for p in problems):
        found.append(
            KnownBug(
                "RQ scheduler lost",
                "once the worker whose scheduler held the queue's lock is SIGKILLed, no worker "
                "moves delayed jobs (deferred pulls, retries with an interval) until its "
                "maintenance, ten minutes later",
                "test_scheduler.py::test_a_delayed_job_runs_after_the_worker_running_the_"
                "scheduler_is_lost",
                kinds=frozenset({"overdue"}),
            )
        )
    blocked = frozenset().union(*(link_clash(account) for account in world.accounts))
    if blocked:
        found.append(
            KnownBug(
                "occurrence link clash",
                "a portal occurrence change whose Google instance a pull had already linked "
                "to another row fails every push (unique event_link google id), and every "
                "change queued behind it waits forever",
                "test_races.py::test_an_occurrence_cancelled_here_while_google_edits_it_"
                "does_not_block_the_outbox",
                blocked,
            )
        )
    gone = frozenset().union(*(occurrences_google_lacks(a) for a in world.accounts))
    if gone:
        found.append(
            KnownBug(
                "occurrence Google no longer has",
                "the portal keeps showing an occurrence that Google does not: one changed in "
                "the portal after Google cancelled it or cut its series short (Google answered "
                "404/410), or one Google changed that a later 'this and following' in the "
                "portal cut off (a live exception outside its series' rule)",
                "test_races.py::test_occurrences_changed_here_after_google_removed_them_"
                "converge, ::test_an_occurrence_google_changed_is_not_shown_after_this_and_"
                "following_here_cut_it_off",
                gone,
            )
        )
    return found


def link_clash(account: Account) -> frozenset[int]:
    """Unpushed occurrences whose instance id is linked to another portal row: they and every
    event still waiting in the outbox (behind them), or nothing if there is no such clash."""
    db.session.rollback()
    pending = set(
        db.session.scalars(
            select(OutboxEntry.event_id).where(
                OutboxEntry.user_id == account.user_id, OutboxEntry.processed_at.is_(None)
            )
        )
    )
    links = dict(
        db.session.execute(
            select(EventLink.event_id, EventLink.google_event_id).where(
                EventLink.connection_id == account.connection_id
            )
        ).all()
    )
    linked = {google_id: event_id for event_id, google_id in links.items()}
    for event_id in pending:
        event = db.session.get(Event, event_id)
        series = links.get(event.series_id) if event.is_exception else None
        if series is None or event_id in links:
            continue
        owner = linked.get(instance_id_for(series, event))
        if owner is not None and owner != event_id:
            return frozenset(pending)
    return frozenset()


def occurrences_google_lacks(account: Account) -> frozenset[int]:
    """Live portal occurrences Google cannot have: their push was refused because the instance
    is gone there (404/410), or their series' rule no longer produces them."""
    db.session.rollback()
    refused = select(Event.id).join(OutboxEntry, OutboxEntry.event_id == Event.id)
    refused = refused.where(
        Event.owner_id == account.user_id,
        Event.series_id.is_not(None),
        Event.deleted_at.is_(None),
        or_(OutboxEntry.last_error.like("404 %"), OutboxEntry.last_error.like("410 %")),
    )
    found = set(db.session.scalars(refused))
    live = select(Event).where(
        Event.owner_id == account.user_id,
        Event.series_id.is_not(None),
        Event.deleted_at.is_(None),
    )
    for exception in db.session.scalars(live):
        master = db.session.get(Event, exception.series_id)
        original = original_of(exception)
        if master.is_series and not master.is_deleted and not produces(master, original):
            found.add(exception.id)
    return frozenset(found)


def explained(problems: list, bugs: list[KnownBug]) -> tuple[list, list]:
    """(problems a known bug explains, the others)."""
    known = [p for p in problems if any(bug.explains(p) for bug in bugs)]
    return known, [p for p in problems if p not in known]
