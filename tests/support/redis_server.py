"""A private redis-server process on a free loopback port, which a test may stop and restart.

Chaos needs a Redis that really goes away: stopping it (SIGTERM or SIGKILL) drops every
connection, and starting it again on the same port brings back an empty server (no RDB, no
AOF), so queued jobs, pending markers and scheduled jobs are truly lost. The shared Redis of
the machine cannot be used for that: other test runs and developers rely on it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from tests.support.lifetime import dies_with_parent
from tests.support.processes import free_port
from tests.support.real_clock import without_faketime

REDIS_SERVER = os.environ.get("TEST_REDIS_SERVER") or shutil.which("redis-server")
START_TIMEOUT = 10.0


class PrivateRedis:
    """One redis-server of our own: `start()`, `stop(sig)`, `start()` again on the same port.

    The server keeps nothing on disk (`--save "" --appendonly no`), so a restart starts empty.
    Use it as a context manager, or call `close()`: the process never outlives its owner.
    """

    def __init__(self, log_dir: Path | None = None) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="private-redis-"))
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        """redis://127.0.0.1:<port>/0: the whole server is ours, so database 0 will do."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> PrivateRedis:
        """Start the server (again, on the same port) and wait until it answers PING."""
        if self.running:
            return self
        self.log_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            REDIS_SERVER,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.log_dir),
            "--daemonize", "no",
        ]  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with open(self.log_dir / "redis.log", "ab") as log:
                self.process = subprocess.Popen(
                    dies_with_parent(argv),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=without_faketime(os.environ),
                    start_new_session=True,
                )
            if self._answers(deadline):
                return self
            # A just-killed server's socket can linger a moment: try the same port again.
            self._reap()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"redis-server did not start on port {self.port}; see {self.log_dir}"
                )
            time.sleep(0.1)

    def _answers(self, deadline: float) -> bool:
        client = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return False
                try:
                    if client.ping():
                        return True
                except RedisError:
                    time.sleep(0.02)
            return False
        finally:
            client.close()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server with this signal (SIGTERM: it shuts down; SIGKILL: it just dies)."""
        if not self.running:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, sig)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._reap()

    def restart(self, sig: int = signal.SIGTERM) -> None:
        """Stop, then start on the same port: an empty server, every client disconnected."""
        self.stop(sig)
        self.start()
        self.restarts += 1

    def _reap(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def close(self) -> None:
        """Kill the server for good."""
        self._reap()
        self.process = None

    def __enter__(self) -> PrivateRedis:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()
