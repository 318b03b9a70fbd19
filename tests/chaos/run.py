"""One chaos run: faults and random operations together, then calm, quiescence and checks."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field

from tests.chaos.convergence import failed_job_summaries, problems, quiesce
from tests.chaos.driver import Driver
from tests.chaos.faults import Chaos
from tests.chaos.world import World

CONVERGE_WITHIN = 30.0


@dataclass
class Outcome:
    """What a run did and found."""

    seed: int
    steps: int
    problems: list[str]
    log: list[str]
    chaos_seconds: float
    converge_seconds: float
    rounds: int
    failed_jobs: list[str] = field(default_factory=list)
    google_statuses: Counter = field(default_factory=Counter)
    conflicts: int = 0

    def fault_evidence(self) -> dict[str, int]:
        """How often each injected Google fault was actually served."""
        return {str(status): self.google_statuses[status] for status in (401, 410, 429, 500)}

    def explain(self, tail: int = 60) -> str:
        """A failure message that says how to replay the run."""
        lines = [f"chaos seed {self.seed}: replay with CHAOS_SEED={self.seed}", *self.problems]
        lines += ["", f"last {tail} operations:", *self.log[-tail:]]
        if self.failed_jobs:
            lines += ["", "failed jobs during the run:", *self.failed_jobs[:20]]
        return "\n".join(lines)


def run_chaos(
    world: World, seed: int, steps: int, workers: int = 2, rounds: int = 1, pause: float = 0.05
) -> Outcome:
    """Drive `steps` operations under every fault, calm down, converge, and check."""
    rng = random.Random(seed)
    log: list[str] = []
    driver = Driver(world, random.Random(rng.random()))
    driver.log = log
    chaos = Chaos(world, random.Random(rng.random()), workers, log)
    world.start_workers(workers)
    chaos.schedule(steps, rounds)
    chaos.arm_google_errors()
    started = time.monotonic()
    for step in range(steps):
        chaos.before_step(step)
        driver.step(step)
        time.sleep(rng.uniform(0, pause))
    chaos.calm()
    calmed = time.monotonic()
    failed = failed_job_summaries()
    rounds_taken = quiesce(world, calmed + CONVERGE_WITHIN)
    converged = time.monotonic()
    found = problems(world, driver.tracked)
    statuses = Counter(entry.get("status") for entry in world.google.request_log())
    return Outcome(
        seed,
        steps,
        found,
        log,
        calmed - started,
        converged - calmed,
        rounds_taken,
        failed,
        statuses,
        conflicts_settled(world),
    )


def conflicts_settled(world: World) -> int:
    """How many times both sides had changed the same event (each is in the activity log)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import SyncLog

    stmt = select(func.count()).where(
        SyncLog.connection_id == world.connection_id, SyncLog.kind == "conflict"
    )
    return db.session.scalar(stmt) or 0
