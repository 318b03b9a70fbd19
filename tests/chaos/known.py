"""Product bugs the chaos run finds that are not fixed yet, and how to recognise each one in
the state a run ends in.

Each has a replay in a fixed order (a strict xfail, so fixing the bug shows up there): RQ's
scheduler, in test_scheduler.py; a portal-only change winning over Google's and an answer
never sent after a conflict, in test_kind_races.py; a second 412 while the push settles one,
in test_push_races.py; the series bugs once here are fixed and replayed in test_races.py. A
chaos run whose every problem concerns events such a bug explains is reported as an expected
failure that names its seed; any other problem fails the run as before.
CHAOS_STRICT=1 fails on these too (for whoever fixes them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select

from portal.extensions import db
from portal.models import SyncLog
from tests.chaos.world import World

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


# Each known bug: its name, what it does, and its replay.
SCHEDULER_LOST = (
    "RQ scheduler lost",
    "once the worker whose scheduler held the queue's lock is SIGKILLed, no worker moves "
    "delayed jobs (deferred pulls, retries with an interval) until its maintenance, ten "
    "minutes later",
    "test_scheduler.py::test_a_delayed_job_runs_after_the_worker_running_the_scheduler_is_lost",
)
STALE_TITLE = (
    "portal-only change wins over Google's",
    "a change of fields that never leave the portal (internal notes, type) saved while "
    "Google's rename is not pulled yet wins the conflict, and the push sends the portal's "
    "stale title back over Google's",
    "test_kind_races.py::test_internal_notes_saved_here_after_a_rename_in_google_keep_google_"
    "s_title",
)
LOST_ANSWER = (
    "answer kept but never sent",
    "the organiser's change wins the conflict a pushed answer meets (412); the answer is kept "
    "in the portal, but its outbox row is closed and Google never gets it",
    "test_kind_races.py::test_answered_here_then_moved_by_the_organiser_before_the_push_still_"
    "reaches_google",
)
SECOND_412 = (
    "a second 412 while settling",
    "the push settles a 412 and sends again, but Google changed once more meanwhile: the "
    "second 412 is recorded as refused and the change is dropped",
    "test_push_races.py::test_google_changing_again_while_a_conflict_is_settled_does_not_"
    "drop_the_change",
)


def known_bugs(world: World, problems: list) -> list[KnownBug]:
    """The known bugs whose traces are in the portal's state now (any account), or among
    the problems found."""
    found = []
    if any(p.kind == "overdue" for p in problems):
        found.append(KnownBug(*SCHEDULER_LOST, kinds=frozenset({"overdue"})))
    traced = (
        (STALE_TITLE, _won_by(world, "portal_won", _about(problems, "unwritten"))),
        (LOST_ANSWER, _won_by(world, "google_won", _about(problems, "answer"))),
        (SECOND_412, _refused_twice(world) & _about(problems, "refused")),
    )
    found += [KnownBug(*bug, events=frozenset(events)) for bug, events in traced if events]
    return found


def _refused_twice(world: World) -> set[int]:
    """The events whose push was recorded as refused with Google's 412 (Precondition Failed)."""
    db.session.rollback()
    stmt = select(SyncLog.event_id).where(
        SyncLog.connection_id.in_([a.connection_id for a in world.accounts]),
        SyncLog.outcome == "failed",
        SyncLog.message.contains("Precondition Failed"),
        SyncLog.event_id.is_not(None),
    )
    return set(db.session.scalars(stmt))


def _about(problems: list, kind: str) -> set[int]:
    """The events the problems of one kind are about."""
    return {i for p in problems if p.kind == kind for i in p.about}


def _won_by(world: World, outcome: str, event_ids: set[int]) -> set[int]:
    """Those of the events with a conflict settled so ("portal_won", "google_won")."""
    if not event_ids:
        return set()
    db.session.rollback()
    stmt = select(SyncLog.event_id).where(
        SyncLog.connection_id.in_([a.connection_id for a in world.accounts]),
        SyncLog.kind == "conflict",
        SyncLog.outcome == outcome,
        SyncLog.event_id.in_(event_ids),
    )
    return set(db.session.scalars(stmt))


def explained(problems: list, bugs: list[KnownBug]) -> tuple[list, list]:
    """(problems a known bug explains, the others)."""
    known = [p for p in problems if any(bug.explains(p) for bug in bugs)]
    return known, [p for p in problems if p not in known]
