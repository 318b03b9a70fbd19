"""The world the chaos driver acts on: the portal app, Google, workers, and Redis."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

from google_emulator.state import EmulatorState
from tests.google.conftest import GOOGLE_USER
from tests.support.processes import ROOT, environment_of, kill, stop

REDIS_KEY = "coordinoter_redis"


def start_worker(app: Flask, log_dir: Path) -> subprocess.Popen:
    """`flask worker` as the Procfile runs it, logging to a file in log_dir, not to a pipe.

    (A pipe nobody reads fills up after a few hundred jobs' log lines, and the worker then
    blocks on its next log write.)
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"worker-{time.monotonic_ns()}.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            cwd=ROOT,
            env=environment_of(app),
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )


def _dead_port() -> int:
    """A loopback port that nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class World:
    """The coordinator's portal and Google calendar, plus the knobs chaos turns."""

    app: Flask
    google: EmulatorState
    user_id: int
    connection_id: int
    calendar_id: str = GOOGLE_USER
    log_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "chaos-workers")
    workers: list[subprocess.Popen] = field(default_factory=list)
    kills: int = 0
    _real_redis: Redis | None = None

    # -- workers --------------------------------------------------------------------------

    def start_workers(self, count: int) -> None:
        """Bring the number of live worker processes up to count."""
        self.workers = [w for w in self.workers if w.poll() is None]
        while len(self.workers) < count:
            self.workers.append(start_worker(self.app, self.log_dir))

    def kill_a_worker(self) -> None:
        """SIGKILL one worker, mid-job or not, as when a dyno is lost."""
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
        """Whether the portal currently talks to a dead Redis."""
        return self._real_redis is not None

    def take_redis_down(self) -> None:
        """Point this process's portal at a dead port and cut the workers' Redis connections.

        Only clients of our own Redis database are cut: the server is shared with other runs.
        """
        if self.redis_down:
            return
        extensions = self.app.extensions
        self._real_redis = extensions.get(REDIS_KEY) or Redis.from_url(self.app.config["REDIS_URL"])
        extensions[REDIS_KEY] = Redis(
            host="127.0.0.1", port=_dead_port(), socket_connect_timeout=0.2, socket_timeout=0.2
        )
        self._cut_our_clients()

    def _cut_our_clients(self) -> None:
        admin = Redis.from_url(self.app.config["REDIS_URL"])
        number = admin.connection_pool.connection_kwargs.get("db", 0)
        me = admin.client_id()
        for client in admin.client_list():
            if int(client.get("db", -1)) == number and int(client["id"]) != me:
                admin.client_kill_filter(_id=client["id"])
        admin.close()

    def bring_redis_back(self) -> None:
        """Point the portal at the real Redis again (its old connections reconnect)."""
        if not self.redis_down:
            return
        self.app.extensions[REDIS_KEY] = self._real_redis
        self._real_redis = None
        for _ in range(3):
            try:
                self.app.extensions[REDIS_KEY].ping()
                return
            except RedisError:
                continue  # a cut connection fails once, then the pool reconnects

    def shut_down(self) -> None:
        """Leave nothing running."""
        self.bring_redis_back()
        for worker in self.workers:
            kill(worker)
        self.workers = []
