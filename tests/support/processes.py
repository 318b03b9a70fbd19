"""Real worker processes for tests that kill or outlive them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
PASSED_ON = (
    "REDIS_URL",
    "SMTP_URL",
    "MAIL_FROM",
    "MAIL_RETRY_INTERVALS",
    "RQ_QUEUE",
    "GOOGLE_EMULATOR_URL",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "PUBLIC_BASE_URL",
    "SECRET_KEY",
    "TOKEN_ENCRYPTION_KEY",
    "GOOGLE_JOB_RETRY_INTERVALS",
    "GOOGLE_HTTP_RETRIES",
    "GOOGLE_HTTP_TIMEOUT",
    "GOOGLE_SILENCE_GRACE",
    "GOOGLE_BURST_GAP",
    "GOOGLE_BURST_QUIET",
    "GOOGLE_BURST_MAX_WAIT",
)


def free_port() -> int:
    """A loopback port nothing listens on now, for a server a test is about to start."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment_of(app: Flask) -> dict[str, str]:
    """The environment a separate process needs to be this test's portal."""
    env = {**os.environ, "COORDINOTER_ENV": "test", "FLASK_APP": "wsgi"}
    env["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    for key in PASSED_ON:
        if app.config.get(key) is not None:
            env[key] = str(app.config[key])
    return env


def start_worker(app: Flask) -> subprocess.Popen:
    """`flask worker`, exactly as the Procfile runs it, against this test's database and Redis."""
    return start_flask(app, "worker", "--with-scheduler")


def start_clock(app: Flask) -> subprocess.Popen:
    """`flask clock`, exactly as the Procfile runs it, against this test's database and Redis."""
    return start_flask(app, "clock")


def start_flask(app: Flask, *command: str) -> subprocess.Popen:
    """One of the project's flask commands in its own process group, with this test's config."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", *command],
        cwd=ROOT,
        env=environment_of(app),
        # Nobody reads a pipe here: a full one would block the worker mid-job.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill(process: subprocess.Popen) -> None:
    """SIGKILL: no clean-up, no goodbye, as when a dyno is lost."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen) -> None:
    """Ask a worker to finish (SIGTERM), killing it if it will not."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill(process)


def wait_for(condition, timeout: float = 15.0, interval: float = 0.05):
    """Poll until condition() is truthy; returns its value or raises AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {condition}")
