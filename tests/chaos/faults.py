"""The faults chaos injects while the driver works, and how they are all stopped again."""

from __future__ import annotations

import random
import signal
from dataclasses import dataclass, field

from tests.chaos.world import World

# Kinds of fault, each injected at least once per run at a random step.
KINDS = (
    "kill_worker",
    "redis_outage",
    "notification_faults",
    "invalidate_sync_token",
    "expire_access_token",
)
ERROR_RATE = 0.2
ERROR_CALLS = 3000
REDIS_OUTAGE_STEPS = 3
WORKER_DOWN_STEPS = 2
# Faults that take workers away land in the first two thirds of the run (not the very first
# steps): a worker needs a second or two to come back, and the storm must go on around it.
WORKER_FAULTS = ("kill_worker", "redis_outage")


@dataclass
class Chaos:
    """Schedules faults over the driver's steps and applies them; `calm` ends them all."""

    world: World
    rng: random.Random
    workers: int
    log: list[str]
    plan: dict[int, list[str]] = field(default_factory=dict)
    _undo: dict[int, list[str]] = field(default_factory=dict)

    def schedule(self, steps: int, rounds: int = 1) -> None:
        """Each kind of fault `rounds` times, at random steps."""
        for _ in range(rounds):
            for kind in KINDS:
                if kind in WORKER_FAULTS:
                    step = self.rng.randrange(steps // 5, max(steps // 5 + 1, steps * 2 // 3))
                else:
                    step = self.rng.randrange(steps)
                self.plan.setdefault(step, []).append(kind)

    def arm_google_errors(self) -> None:
        """From now on ERROR_RATE of Google's answers (any method) are 429 or 500."""
        google = self.world.google
        passing = 0
        for _ in range(ERROR_CALLS):
            if self.rng.random() >= ERROR_RATE:
                passing += 1
                continue
            if passing:
                # A "fault" with no status and no delay is an ordinary answer: it keeps the place.
                google.add_fault("*", None, count=passing)
                passing = 0
            status = self.rng.choice((429, 500))
            google.add_fault("*", status, "rateLimitExceeded" if status == 429 else "backendError")
        self.log.append(f"chaos: {ERROR_RATE:.0%} of Google calls fail from now on")

    def before_step(self, step: int) -> None:
        """Undo what is due, then apply the faults planned for this step."""
        if not self.world.redis_down:
            self._supervise()
        for kind in self._undo.pop(step, []):
            getattr(self, f"_end_{kind}")()
        for kind in self.plan.get(step, []):
            getattr(self, f"_{kind}")(step)

    def calm(self) -> None:
        """Every fault stops: Google answers, notifications flow, Redis and workers are back."""
        google = self.world.google
        google.clear_faults()
        google.set_notification_faults()
        self.world.bring_redis_back()
        self._supervise()
        self.world.start_workers(self.workers)
        self.log.append("chaos: calm")

    def _supervise(self) -> None:
        if crashed := self.world.supervise():
            self.log.append(f"chaos: {crashed} crashed worker(s) restarted")

    # -- each fault -----------------------------------------------------------------------

    def _kill_worker(self, step: int) -> None:
        self.world.kill_a_worker()
        self.log.append("chaos: SIGKILL a worker")
        self._undo.setdefault(step + WORKER_DOWN_STEPS, []).append("kill_worker")

    def _end_kill_worker(self) -> None:
        self.world.start_workers(self.workers)
        self.log.append("chaos: worker restarted")

    def _redis_outage(self, step: int) -> None:
        # SIGTERM: Redis shuts down cleanly; SIGKILL: it just dies. Either way it comes back
        # empty (no RDB, no AOF): queued jobs, pending markers and delayed jobs are lost.
        sig = self.rng.choice((signal.SIGTERM, signal.SIGKILL))
        self.world.take_redis_down(sig)
        self.log.append(f"chaos: Redis server stopped ({sig.name})")
        self._undo.setdefault(step + REDIS_OUTAGE_STEPS, []).append("redis_outage")

    def _end_redis_outage(self) -> None:
        self.world.bring_redis_back()
        self.log.append("chaos: Redis server started again, empty")
        # A worker whose job failed under it has quit: restarted, as a crashed dyno would be.
        self._supervise()

    def _notification_faults(self, step: int) -> None:
        faults = {
            "drop": self.rng.randint(1, 3),
            "duplicate": self.rng.randint(1, 3),
            "delay": round(self.rng.uniform(0.05, 0.3), 2),
            "reorder": self.rng.randint(2, 4),
        }
        self.world.google.set_notification_faults(**faults)
        self.log.append(f"chaos: notifications {faults}")

    def _invalidate_sync_token(self, step: int) -> None:
        for account in self.world.accounts:
            self.world.google.invalidate_sync_tokens(account.calendar_id)
        self.log.append("chaos: sync tokens invalidated")

    def _expire_access_token(self, step: int) -> None:
        for account in self.world.accounts:
            self.world.google.expire_access_tokens(account.calendar_id)
        self.log.append("chaos: access tokens expired")
