"""Product bugs the chaos run finds that are not fixed yet, and how to recognise each one in
the state a run ends in.

Each has a replay in a fixed order (a strict xfail, so fixing the bug shows up there): today
only RQ's scheduler, in test_scheduler.py. The bugs once here are fixed and replayed as plain
tests: the series bugs in test_races.py, those of invitations and Google's special events in
test_kind_races.py and test_push_races.py. A chaos run whose every problem concerns events
such a bug explains is reported as an expected failure that names its seed; any other problem
fails the run as before.
CHAOS_STRICT=1 fails on these too (for whoever fixes them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

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


# Each known bug: its name, what it does, and its replay (a strict xfail).
SCHEDULER_LOST = (
    "RQ scheduler lost",
    "once the worker whose scheduler held the queue's lock is SIGKILLed, no worker moves "
    "delayed jobs (deferred pulls, retries with an interval) until its maintenance, ten "
    "minutes later",
    "test_scheduler.py::test_a_delayed_job_runs_after_the_worker_running_the_scheduler_is_lost",
)


def known_bugs(world: World, problems: list) -> list[KnownBug]:
    """The known bugs whose traces are in the portal's state now (any account), or among
    the problems found."""
    found = []
    if any(p.kind == "overdue" for p in problems):
        found.append(KnownBug(*SCHEDULER_LOST, kinds=frozenset({"overdue"})))
    return found


def explained(problems: list, bugs: list[KnownBug]) -> tuple[list, list]:
    """(problems a known bug explains, the others)."""
    known = [p for p in problems if any(bug.explains(p) for bug in bugs)]
    return known, [p for p in problems if p not in known]
