"""The chaos convergence run at a larger size, against the real processes (gunicorn is the
webhook, RQ workers are SIGKILLed and restarted). Same driver and checks as tests/chaos.

    .venv/bin/python -m bench.chaos [--steps 500] [--workers 2] [--rounds 3] [--seed N]
"""

from __future__ import annotations

import argparse
import random

from bench import figures, processes
from bench.harness import Stack

NAME = "chaos"


def run(steps: int = 500, workers: int = 2, rounds: int = 3, seed: int | None = None) -> list:
    """One seeded chaos run; returns the figures (and prints the problems, if any)."""
    from portal.extensions import db
    from portal.google.connection import set_privacy_level
    from tests.chaos.run import CONVERGE_WITHIN, run_chaos
    from tests.chaos.world import World

    seed = seed if seed is not None else random.SystemRandom().randrange(10**9)
    account = "casey@chaos.example"
    with Stack(workers=1) as stack:
        stack.google.add_user(account, "Casey")
        coordinator = stack.connect_coordinator("casey@bench.example", account)
        set_privacy_level(stack.connection(coordinator.connection_id), "full")
        db.session.commit()
        world = World(
            stack.app,
            stack.google,
            coordinator.user_id,
            coordinator.connection_id,
            calendar_id=account,
            log_dir=processes.LOGS,
        )
        # The chaos world now owns the workers: it kills and restarts them.
        world.workers, stack.worker_processes = stack.worker_processes, []
        try:
            outcome = run_chaos(world, seed, steps, workers=workers, rounds=rounds, pause=0.02)
        finally:
            world.shut_down()
    if outcome.problems:
        print(outcome.explain())
    rows = [
        figures.Figure(
            NAME,
            f"seed {seed}: {steps} operations, {workers} workers, every fault ×{rounds}",
            f"{len(outcome.problems)} problem(s)",
            "0",
            not outcome.problems,
        ),
        figures.at_most(NAME, "calm → converged", outcome.converge_seconds, CONVERGE_WITHIN, "s"),
        figures.Figure(
            NAME,
            "chaos phase",
            f"{outcome.chaos_seconds:.1f} s, "
            f"{outcome.rounds} quiescence round(s), {world.kills} worker kill(s), "
            f"{outcome.conflicts} conflict(s) settled",
        ),
        figures.Figure(
            NAME,
            "Google faults served (401 / 410 / 429 / 500)",
            " / ".join(str(n) for n in outcome.fault_evidence().values()),
        ),
        figures.Figure(
            NAME,
            "jobs that exhausted their retries during the storm",
            str(len(outcome.failed_jobs)),
        ),
    ]
    figures.report(NAME, rows, {"seed": seed, "problems": outcome.problems, "log": outcome.log})
    return rows


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    run(args.steps, args.workers, args.rounds, args.seed)


if __name__ == "__main__":
    main()
