"""The world the chaos driver acts on: the portal app, Google, workers, and a Redis of its own."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from google_emulator.state import EmulatorState
from tests.google.conftest import GOOGLE_USER
from tests.support.lifetime import dies_with_parent
from tests.support.processes import ROOT, environment_of, kill, stop, wait_for
from tests.support.redis_server import PrivateRedis


def start_worker(app: Flask, log_dir: Path) -> subprocess.Popen:
    """`flask worker --with-scheduler` as the Procfile runs it, logging to a file in log_dir.

    The scheduler moves jobs enqueued with a delay (`enqueue_in`: retries, deferred pulls)
    onto the queue; without it they would wait forever. (The log goes to a file: a pipe
    nobody reads fills up after a few hundred jobs' lines, and the worker then blocks.)
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"worker-{time.monotonic_ns()}.log", "wb") as log:
        return subprocess.Popen(
            dies_with_parent(
                [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--with-scheduler"]
            ),
            cwd=ROOT,
            env=environment_of(app),
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )


@dataclass(frozen=True)
class Account:
    """One coordinator syncing one Google calendar at one privacy level."""

    user_id: int
    connection_id: int
    privacy_level: str = "full"
    calendar_id: str = GOOGLE_USER


@dataclass
class World:
    """Coordinators' portal and Google calendars, plus the knobs chaos turns.

    Each account syncs at its own privacy level, so one storm covers every level. `redis` is
    the private redis-server the app (and so every worker) uses: chaos stops and restarts it
    for real. Without one (None) the Redis faults are refused.
    """

    app: Flask
    google: EmulatorState
    accounts: list[Account]
    redis: PrivateRedis | None = None
    log_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "chaos-workers")
    workers: list[subprocess.Popen] = field(default_factory=list)
    kills: int = 0
    crashes: int = 0
    redis_restarts: int = 0

    @property
    def account(self) -> Account:
        """The first account (the only one, in the checker's own tests)."""
        return self.accounts[0]

    # -- workers --------------------------------------------------------------------------

    def start_workers(self, count: int) -> None:
        """Bring the number of live worker processes up to count."""
        self.workers = [w for w in self.workers if w.poll() is None]
        while len(self.workers) < count:
            self.workers.append(start_worker(self.app, self.log_dir))

    def wait_for_workers(self, count: int, timeout: float = 30.0) -> None:
        """Wait until count workers listen on the queue (a storm before then hits nobody)."""
        from rq import Worker

        from portal.core.queue import get_queue, redis_connection

        wait_for(
            lambda: Worker.count(connection=redis_connection(), queue=get_queue()) >= count,
            timeout=timeout,
        )

    def supervise(self) -> int:
        """Restart workers that exited on their own, as the platform restarts a crashed dyno;
        returns how many.

        An RQ worker quits when Redis fails under it in the middle of a job. (Killed workers
        are no longer in the list: chaos restarts those itself, later.)
        """
        crashed = [w for w in self.workers if w.poll() is not None]
        for worker in crashed:
            self.workers.remove(worker)
            self.workers.append(start_worker(self.app, self.log_dir))
        self.crashes += len(crashed)
        return len(crashed)

    def kill_a_worker(self) -> None:
        """SIGKILL one worker (and its scheduler), mid-job or not, as when a dyno is lost."""
        alive = [w for w in self.workers if w.poll() is None]
        if alive:
            kill(alive[0])
            self.workers.remove(alive[0])
            self.kills += 1

    def stop_workers(self) -> None:
        """Ask every worker to finish its job and exit."""
        for worker in self.workers:
            stop(worker)
        self.workers = []

    # -- Redis ----------------------------------------------------------------------------

    @property
    def redis_down(self) -> bool:
        """Whether the Redis server is stopped right now."""
        return self.redis is not None and not self.redis.running

    def take_redis_down(self, sig: int = signal.SIGTERM) -> None:
        """Stop the Redis server: every client is cut off, and everything in it is gone."""
        if self.redis is None:
            raise RuntimeError("this world has no Redis of its own to stop")
        if not self.redis_down:
            self.redis.stop(sig)

    def bring_redis_back(self) -> None:
        """Start the Redis server again on the same port, empty; clients reconnect."""
        if self.redis_down:
            self.redis.start()
            self.redis_restarts += 1

    def shut_down(self) -> None:
        """Leave no worker running (the Redis server belongs to whoever started it)."""
        for worker in self.workers:
            kill(worker)
        self.workers = []
