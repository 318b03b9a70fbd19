"""The benchmark stack: a PostgreSQL database and a redis-server of its own (on a free port),
the Google emulator, gunicorn serving wsgi:app, RQ workers, and an app context in this process
for inspection.

    with Stack(workers=1) as stack:
        user = stack.connect_coordinator("casey@bench.example")
        ...

Everything runs on loopback; nothing here touches a database or Redis another run could hold.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet
from redis import Redis
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bench import processes
from bench.portal_user import PortalUser
from google_emulator import EmulatorServer
from tests.support.redis_server import PrivateRedis

if TYPE_CHECKING:
    from rq import Queue

    from portal.models import GoogleConnection

PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/test"
)
# The pid keeps two benchmark runs (or a bench and a test suite) out of each other's way.
DB_NAME = os.environ.get("BENCH_DB_NAME") or f"coordinoter_bench_{os.getpid()}"
CLIENT_ID = "bench-client.apps.googleusercontent.com"
CLIENT_SECRET = "bench-secret"
QUIET_CHECKS = 4


@dataclass
class Coordinator:
    """A signed-up coordinator connected to a Google account through the real consent flow."""

    user_id: int
    connection_id: int
    email: str
    google_account: str
    browser: PortalUser


@dataclass
class Stack:
    """Start with `with Stack(...)`; every process is stopped and the database dropped after."""

    workers: int = 1
    web_workers: int = 2
    web_threads: int = 4
    web: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    # A Redis the caller owns (chaos restarts its own); by default the stack starts one.
    redis_url: str = ""

    def __post_init__(self) -> None:
        self.web_port = processes.free_port()
        self.public_url = f"http://127.0.0.1:{self.web_port}"
        self.emulator = EmulatorServer(port=0)
        self.google = self.emulator.state
        self.gunicorn: subprocess.Popen | None = None
        self.worker_processes: list[subprocess.Popen] = []
        self.database_url = (
            make_url(PG_ADMIN_URL).set(database=DB_NAME).render_as_string(hide_password=False)
        )
        self._own_redis = None if self.redis_url else PrivateRedis(processes.LOGS / "bench-redis")
        self.app: Any = None
        self._context: Any = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Database, Redis, emulator, migrations, then gunicorn and the workers."""
        if self._own_redis is not None:
            self.redis_url = self._own_redis.start().url
        self.redis = Redis.from_url(self.redis_url)
        # A SIGTERM (timeout, Ctrl-C in a wrapper) must still stop the processes we started.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        self.emulator.start()
        self.google.add_client(CLIENT_ID, CLIENT_SECRET, [self.public_url + "/google/callback"])
        self.env = self._environment()
        # The in-process app reads the same environment as the processes it inspects.
        os.environ.update(self.env)
        _recreate_database(self.database_url)
        self.redis.flushdb()
        processes.run_command(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], self.env
        )
        from portal import create_app

        self.app = create_app()
        self._context = self.app.app_context()
        self._context.push()
        if self.web:
            self.start_web(self.web_workers, self.web_threads)
        for _ in range(self.workers):
            self.add_worker()

    def stop(self) -> None:
        """Stop every process, drop the database, empty the Redis db."""
        for process in self.worker_processes:
            processes.stop(process)
        self.worker_processes.clear()
        if self.gunicorn is not None:
            processes.stop(self.gunicorn)
            self.gunicorn = None
        if self._context is not None:
            from portal.extensions import db

            db.session.remove()
            db.engine.dispose()
            self._context.pop()
            self._context = None
        self.emulator.stop()
        if self._own_redis is not None:
            self._own_redis.close()
        _drop_database(self.database_url)

    def _environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "COORDINOTER_ENV": "production",
            "FLASK_APP": "wsgi",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "RQ_QUEUE": "bench",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "PUBLIC_BASE_URL": self.public_url,
            "GOOGLE_EMULATOR_URL": self.emulator.url,
            "GOOGLE_CLIENT_ID": CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
            "PYTHONUNBUFFERED": "1",
        }
        env.update(self.extra_env)
        return env

    def start_web(self, workers: int, threads: int, extra: tuple[str, ...] = ()) -> None:
        """(Re)start gunicorn with this many worker processes and threads each."""
        if self.gunicorn is not None:
            processes.stop(self.gunicorn)
        self.web_workers, self.web_threads = workers, threads
        self.gunicorn = processes.start_gunicorn(self.env, self.web_port, workers, threads, extra)

    def add_worker(self) -> subprocess.Popen:
        """One more `flask worker` process; returns it once it listens on the queue."""
        before = self._worker_count()
        process = processes.start_worker(self.env, len(self.worker_processes))
        self.worker_processes.append(process)
        processes.wait_until(lambda: self._worker_count() > before, 30, "an RQ worker")
        return process

    def _worker_count(self) -> int:
        from rq import Worker

        return Worker.count(connection=self.redis, queue=self.queue())

    # -- the portal from inside ------------------------------------------------------------

    @contextmanager
    def detached(self) -> Iterator[None]:
        """Leave the bench's app context, so test-client requests get their own, as in gunicorn."""
        from portal.extensions import db

        db.session.remove()
        self._context.pop()
        try:
            yield
        finally:
            self._context = self.app.app_context()
            self._context.push()

    def queue(self) -> Queue:
        """The RQ queue the portal's jobs go to."""
        from portal.core.queue import get_queue

        return get_queue()

    def connect_coordinator(
        self, email: str, google_account: str, wait: bool = True
    ) -> Coordinator:
        """Sign up over HTTP, then "Sign in with Google" through the emulator's consent page."""
        if google_account not in {u["email"] for u in self.google.users_list()}:
            self.google.add_user(google_account, "Bench Coordinator")
        browser = PortalUser(self.public_url, email)
        browser.sign_up()
        browser.connect_google(google_account)
        user_id, connection_id = self._ids_of(email)
        if wait:
            self.wait_connected(connection_id)
        return Coordinator(user_id, connection_id, email, google_account, browser)

    def _ids_of(self, email: str) -> tuple[int, int]:
        from portal.extensions import db
        from portal.models import GoogleConnection, User

        db.session.rollback()
        user = db.session.scalar(select(User).where(User.email == email))
        connection_id = db.session.scalar(
            select(GoogleConnection.id).where(GoogleConnection.user_id == user.id)
        )
        return user.id, connection_id

    def connection(self, connection_id: int) -> GoogleConnection:
        """The connection row as the workers last committed it."""
        from portal.extensions import db
        from portal.models import GoogleConnection

        db.session.rollback()
        return db.session.get(GoogleConnection, connection_id)

    def wait_connected(self, connection_id: int, timeout: float = 300) -> None:
        """Wait until the initial import is done and the watch channel is live."""

        def ready() -> bool:
            connection = self.connection(connection_id)
            if connection.state not in ("importing", "connected"):
                raise RuntimeError(f"connection ended {connection.state}: {connection.last_error}")
            return connection.state == "connected" and self._channel_live(connection_id)

        processes.wait_until(ready, timeout, "the initial import and the watch channel")
        self.wait_idle()

    def _channel_live(self, connection_id: int) -> bool:
        from portal.extensions import db
        from portal.models import WatchChannel

        stmt = select(WatchChannel.id).where(
            WatchChannel.connection_id == connection_id, WatchChannel.live_at.is_not(None)
        )
        return db.session.scalar(stmt) is not None

    def wait_idle(self, timeout: float = 120) -> None:
        """Wait until notifications are delivered and no job waits, runs or is scheduled."""
        quiet = 0
        deadline = time.monotonic() + timeout
        while quiet < QUIET_CHECKS:
            if time.monotonic() > deadline:
                raise TimeoutError("the stack did not go idle")
            self.google.wait_notifications(timeout=timeout)
            quiet = quiet + 1 if self._queue_idle() else 0
            time.sleep(0.02)

    def _queue_idle(self) -> bool:
        queue = self.queue()
        return (
            queue.count == 0
            and queue.started_job_registry.count == 0
            and queue.scheduled_job_registry.count == 0
        )

    def calendar_calls(self) -> list[dict]:
        """The emulator's log of Calendar API calls (OAuth traffic left out)."""
        return [
            e for e in self.google.request_log() if str(e.get("method")).startswith("calendar.")
        ]


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(143)


def _admin_engine():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _recreate_database(url: str) -> None:
    name = make_url(url).database
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def _drop_database(url: str) -> None:
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()
