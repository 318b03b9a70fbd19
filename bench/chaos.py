"""The chaos convergence run at a larger size, against the real processes (gunicorn is the
webhook, RQ workers with their schedulers are SIGKILLed and restarted, and the stack's own
redis-server is stopped and started again, empty). Same driver and checks as tests/chaos: one
coordinator per privacy level, single events and recurring series on both sides, invitations
and Google's special event types.

    .venv/bin/python -m bench.chaos [--steps 500] [--workers 2] [--rounds 3] [--seed N]
"""

from __future__ import annotations

import argparse
import random
from typing import TYPE_CHECKING

from bench import figures, processes
from bench.harness import Stack

if TYPE_CHECKING:  # imported where used: tests.chaos reads the app's configuration
    from tests.chaos.run import Outcome
    from tests.chaos.world import Account, World

NAME = "chaos"


def run(
    steps: int = 500, workers: int = 2, rounds: int = 3, seed: int | None = None
) -> list[figures.Figure]:
    """One seeded chaos run; returns the figures (and prints the problems, if any)."""
    from tests.chaos.run import replay_line
    from tests.chaos.values import LEVELS

    seed = seed if seed is not None else random.SystemRandom().randrange(10**9)
    # Printed first: whatever happens next (an exception, a hang, Ctrl-C), the seed is known.
    print(replay_line(seed, LEVELS).replace("CHAOS_SEED=", "--seed "), flush=True)
    outcome, world = _run(steps, workers, rounds, seed)
    if outcome.problems:
        print(outcome.explain())
    rows = _figures(outcome, world, workers, rounds)
    figures.report(
        NAME,
        rows,
        {
            "seed": seed,
            "problems": list(outcome.problems),
            "known_bugs": [str(bug) for bug in outcome.known_bugs],
            "log": outcome.log,
        },
    )
    return rows


def _run(steps: int, workers: int, rounds: int, seed: int) -> tuple[Outcome, World]:
    """The stack, one coordinator per privacy level, and the chaos run over them."""
    from tests.chaos.run import run_chaos
    from tests.chaos.world import World
    from tests.support.redis_server import PrivateRedis

    with PrivateRedis(processes.LOGS / "chaos-redis") as redis:
        # The stack (gunicorn, workers, this process) uses the private server: chaos restarts
        # it, which the shared Redis of the machine must never see.
        stack = Stack(workers=1, redis_url=redis.url)
        with stack:
            accounts = _accounts(stack)
            stack.wait_idle()
            world = World(stack.app, stack.google, accounts, redis=redis, log_dir=processes.LOGS)
            # The chaos world now owns the workers: it kills and restarts them.
            world.workers, stack.worker_processes = stack.worker_processes, []
            try:
                outcome = run_chaos(world, seed, steps, workers=workers, rounds=rounds, pause=0.02)
            finally:
                world.shut_down()
    return outcome, world


def _accounts(stack: Stack) -> list[Account]:
    """A coordinator per privacy level, each connected to a Google account of their own."""
    from portal.extensions import db
    from portal.google.account.connection import set_privacy_level
    from tests.chaos.values import LEVELS
    from tests.chaos.world import Account

    accounts = []
    for number, level in enumerate(LEVELS):
        google_account = f"casey{number}@chaos.example"
        stack.google.add_user(google_account, f"Casey {number}")
        coordinator = stack.connect_coordinator(f"casey{number}@bench.example", google_account)
        set_privacy_level(stack.connection(coordinator.connection_id), level)
        db.session.commit()
        accounts.append(
            Account(coordinator.user_id, coordinator.connection_id, level, google_account)
        )
    return accounts


def _figures(outcome: Outcome, world: World, workers: int, rounds: int) -> list[figures.Figure]:
    """The run's figures: problems, convergence time, what the storm did."""
    from tests.chaos.run import CONVERGE_WITHIN
    from tests.chaos.values import LEVELS

    unexplained = len(outcome.unexplained)
    known = len(outcome.problems) - unexplained
    return [
        figures.Figure(
            NAME,
            f"seed {outcome.seed}: {outcome.steps} operations, {workers} workers, every fault "
            f"×{rounds}, levels {'/'.join(LEVELS)}",
            f"{unexplained} problem(s)" + (f" (+{known} from known bugs)" if known else ""),
            "0",
            not unexplained,
        ),
        figures.at_most(NAME, "calm → converged", outcome.converge_seconds, CONVERGE_WITHIN, "s"),
    ] + [figures.Figure(NAME, what, value) for what, value in _storm_figures(outcome, world)]


def _storm_figures(outcome: Outcome, world: World) -> list[tuple[str, str]]:
    """What the storm did, as (what, value) pairs with no target."""
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(outcome.kinds.items()))
    return [
        (
            "chaos phase",
            f"{outcome.chaos_seconds:.1f} s, {outcome.rounds} quiescence round(s), "
            f"{world.kills} worker kill(s), {world.crashes} worker crash(es), "
            f"{world.redis_restarts} Redis restart(s), {outcome.conflicts} conflict(s) settled",
        ),
        ("Google's own kinds of event made", kinds or "none"),
        ("changes Google did not take (its values stand)", str(outcome.not_taken)),
        (
            "Google faults served (401 / 410 / 429 / 500)",
            " / ".join(str(n) for n in outcome.fault_evidence().values()),
        ),
        ("known product bugs hit", "; ".join(b.name for b in outcome.known_bugs) or "none"),
        (
            "jobs that failed for good (since the last Redis restart)",
            str(len(outcome.failed_jobs)),
        ),
        ("delayed jobs no scheduler moved once calm", str(len(outcome.overdue))),
    ]


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
