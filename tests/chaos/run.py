"""One chaos run: faults and random operations together, then calm, quiescence and checks.

Whatever ends a run (a problem found, an exception, a deadline passed), what it says names
the seed: CHAOS_SEED=<seed> replays the same operations and faults.
"""

from __future__ import annotations

import random
import re
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.chaos.convergence import Problem, problems
from tests.chaos.driver import Driver
from tests.chaos.faults import Chaos
from tests.chaos.known import KnownBug, explained, known_bugs
from tests.chaos.quiet import (
    NotQuiet,
    account_states,
    failed_job_summaries,
    overdue_jobs,
    pending_event_ids,
    quiesce,
    stuck_state,
)
from tests.chaos.world import World

CONVERGE_WITHIN = 30.0
# A run still going this long (plus a second and the pause per step) hangs somewhere.
HANG_AFTER = 240.0
# Once calm, a delayed job due this long ago should have been moved by a worker's scheduler.
SCHEDULER_SLACK = 3.0


@dataclass
class Outcome:
    """What a run did and found."""

    seed: int
    steps: int
    levels: tuple[str, ...]
    problems: list[Problem]
    log: list[str]
    chaos_seconds: float
    converge_seconds: float
    rounds: int
    failed_jobs: list[str] = field(default_factory=list)
    google_statuses: Counter = field(default_factory=Counter)
    conflicts: int = 0
    overdue: list[str] = field(default_factory=list)
    known_bugs: list[KnownBug] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    # Changes Google answered with other values than were sent (its values stand).
    not_taken: int = 0
    # How many events of each kind of Google event the driver made (invitations, types).
    kinds: Counter = field(default_factory=Counter)
    # The driver's name for each portal event it made or met (p1, g2, i3 ...).
    keys: dict[int, str] = field(default_factory=dict)

    @property
    def unexplained(self) -> list[Problem]:
        """Problems no known product bug explains: these fail the run."""
        return explained(self.problems, self.known_bugs)[1]

    def fault_evidence(self) -> dict[str, int]:
        """How often each injected Google fault was actually served."""
        return {str(status): self.google_statuses[status] for status in (401, 410, 429, 500)}

    def known_summary(self) -> str:
        """One line for an expected failure: the seed and the known bugs it ran into."""
        bugs = "; ".join(bug.name for bug in self.known_bugs)
        return f"{replay_line(self.seed, self.levels)}; known product bug(s): {bugs}"

    def history(self, found: list[Problem]) -> list[str]:
        """Every operation on the events these problems are about, in order."""
        keys = sorted({self.keys[i] for p in found for i in p.about if i in self.keys})
        if not keys:
            return []
        named = re.compile(r"\b(" + "|".join(map(re.escape, keys)) + r")\b")
        return ["", f"every operation on {', '.join(keys)}:", *filter(named.search, self.log)]

    def summary(self) -> str:
        """One line on what the run did: its kinds of Google event, conflicts, and timing."""
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(self.kinds.items())) or "none"
        return (
            f"{replay_line(self.seed, self.levels)}: {self.steps} operations "
            f"(Google kinds made: {kinds}); {self.conflicts} conflict(s) settled, "
            f"{self.not_taken} not taken by Google; storm {self.chaos_seconds:.1f} s, "
            f"converged {self.converge_seconds:.1f} s after calm in {self.rounds} round(s)"
        )

    def explain(self, tail: int = 60) -> str:
        """A failure message that says how to replay the run."""
        known, others = explained(self.problems, self.known_bugs)
        lines = [replay_line(self.seed, self.levels), *others]
        if known:
            lines += ["", "explained by known product bugs:", *map(str, self.known_bugs), *known]
        lines += self.history(others)
        lines += ["", f"last {tail} operations:", *self.log[-tail:]]
        if self.failed_jobs:
            lines += ["", "jobs that failed for good:", *self.failed_jobs[:20]]
        if self.accounts:
            lines += ["", "connections at the end:", *self.accounts]
        return "\n".join(lines)


def replay_line(seed: int, levels: tuple[str, ...]) -> str:
    """How to run this again."""
    return f"chaos seed {seed} (privacy levels {', '.join(levels)}): replay with CHAOS_SEED={seed}"


class ChaosTimeout(Exception):
    """The run took far longer than it can: something hangs (the note shows every thread)."""


def run_chaos(
    world: World, seed: int, steps: int, workers: int = 2, rounds: int = 1, pause: float = 0.05
) -> Outcome:
    """Drive `steps` operations under every fault, calm down, converge, and check."""
    log: list[str] = []
    limit = HANG_AFTER + steps * (pause + 1.0)
    try:
        with _deadline(limit):
            return _run(world, seed, steps, workers, rounds, pause, log)
    except BaseException as exc:
        # An exception or a hang is a failure too: it must say how to replay it.
        exc.add_note(replay_line(seed, levels_of(world)))
        exc.add_note("last operations:\n" + "\n".join(log[-30:]))
        raise


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Turn a hang into a ChaosTimeout raised in this (the main) thread, with every thread's
    stack: a test killed from outside (CI's own timeout) would say nothing, not even the seed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def hung(signum: int, frame: object) -> None:
        """SIGALRM: raise in the main thread, whatever it waits on."""
        stacks = [
            f"thread {thread_id}:\n{''.join(traceback.format_stack(stack))}"
            for thread_id, stack in sys._current_frames().items()
        ]
        error = ChaosTimeout(f"the chaos run took longer than {seconds:.0f} s")
        error.add_note("\n".join(stacks))
        raise error

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run(
    world: World,
    seed: int,
    steps: int,
    workers: int,
    rounds: int,
    pause: float,
    log: list[str],
) -> Outcome:
    driver, storm_seconds = _storm(world, seed, steps, workers, rounds, pause, log)
    calmed = time.monotonic()
    found, overdue, rounds_taken = _settle(world, calmed)
    converged = time.monotonic()
    # Jobs that failed for good (since Redis last restarted) say why a change did not get across.
    failed = failed_job_summaries()
    found += problems(world, driver.expectations, driver.window())
    statuses = Counter(entry.get("status") for entry in world.google.request_log())
    return Outcome(
        seed,
        steps,
        levels_of(world),
        found,
        log,
        storm_seconds,
        converged - calmed,
        rounds_taken,
        failed,
        statuses,
        conflicts_settled(world),
        overdue,
        known_bugs(world, found),
        account_states(world),
        conflicts_settled(world, outcome="not_taken"),
        Counter(t.kind for t in driver.tracked if t.kind is not None),
        keys_of(driver.tracked),
    )


def _storm(
    world: World, seed: int, steps: int, workers: int, rounds: int, pause: float, log: list[str]
) -> tuple[Driver, float]:
    """The driver's steps under every fault, then calm; returns the driver (what it did) and
    how long the storm lasted."""
    rng = random.Random(seed)
    driver = Driver(world, random.Random(rng.random()))
    driver.log = log
    chaos = Chaos(world, random.Random(rng.random()), workers, log)
    world.start_workers(workers)
    world.wait_for_workers(workers)
    chaos.schedule(steps, rounds)
    chaos.arm_google_errors()
    started = time.monotonic()
    for step in range(steps):
        chaos.before_step(step)
        driver.step(step)
        time.sleep(rng.uniform(0, pause))
    chaos.calm()
    return driver, time.monotonic() - started


def _settle(world: World, calmed: float) -> tuple[list[Problem], list[str], int]:
    """After calm: delayed jobs no scheduler moved, then quiescence within CONVERGE_WITHIN;
    returns the problems so far, the overdue jobs and the rounds quiescence took (0: none)."""
    overdue = _scheduler_keeps_up(world)
    # A delayed job nobody moves would wait minutes in production (here quiesce moves it).
    found = [
        Problem(f"delayed job overdue, no scheduler moved it: {o}", kind="overdue") for o in overdue
    ]
    try:
        rounds_taken = quiesce(world, calmed + CONVERGE_WITHIN)
    except NotQuiet as stuck:
        # Not converged: a problem like any other, about every change still waiting.
        rounds_taken = 0
        found.append(Problem(str(stuck), pending_event_ids()))
    return found, overdue, rounds_taken


def keys_of(tracked: list) -> dict[int, str]:
    """Each tracked event's key by its portal id (through its link when Google made it)."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import EventLink

    db.session.rollback()
    linked = dict(db.session.execute(select(EventLink.google_event_id, EventLink.event_id)).all())
    keys = {}
    for item in tracked:
        portal_id = item.portal_id or linked.get(item.google_id)
        if portal_id is not None:
            keys[portal_id] = item.key
    return keys


def levels_of(world: World) -> tuple[str, ...]:
    """The privacy levels the world's accounts sync at."""
    return tuple(account.privacy_level for account in world.accounts)


def _scheduler_keeps_up(world: World) -> list[str]:
    """With the workers running again, wait briefly for their schedulers to move every delayed
    job that is due; returns those still overdue (a deferred pull nobody will run)."""
    deadline = time.monotonic() + SCHEDULER_SLACK
    while True:
        overdue = overdue_jobs(SCHEDULER_SLACK)
        if not overdue or time.monotonic() > deadline:
            return [f"{job_id} ({stuck_state(world)})" for job_id in overdue]
        time.sleep(0.1)


def conflicts_settled(world: World, outcome: str | None = None) -> int:
    """How many times both sides had changed the same event (each is in the activity log);
    with `outcome`, only those settled so (e.g. "not_taken": Google kept its own values)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import SyncLog

    connections = [account.connection_id for account in world.accounts]
    stmt = select(func.count()).where(
        SyncLog.connection_id.in_(connections), SyncLog.kind == "conflict"
    )
    if outcome is not None:
        stmt = stmt.where(SyncLog.outcome == outcome)
    return db.session.scalar(stmt) or 0
