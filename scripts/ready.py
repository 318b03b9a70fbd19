"""`make run`'s one "ready" line: printed once the portal, a worker, the emulator and the local
mail server (MAIL_PAGE_URL, when set) all answer.

Usage: ready.py PORTAL_URL REDIS_URL QUEUE [EMULATOR_URL]. Runs beside honcho and ends when
it has printed, when the wait is over (saying what did not answer), or when honcho is gone.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta

import requests
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker

WAIT_SECONDS = 120


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _worker_listens(redis_url: str, queue: str, since: datetime) -> bool:
    # A worker of an earlier run that was killed stays registered for minutes: only one born
    # since this run started counts.
    try:
        connection = Redis.from_url(redis_url)
        workers = Worker.all(connection=connection, queue=Queue(queue, connection=connection))
    except RedisError:
        return False
    return any(w.birth_date and w.birth_date.replace(tzinfo=UTC) >= since for w in workers)


def _waiting_for(
    portal: str, redis_url: str, queue: str, emulator: str | None, since: datetime
) -> list[str]:
    missing = []
    if not _answers(portal + "/healthz"):
        missing.append(f"the portal ({portal}/healthz)")
    if not _worker_listens(redis_url, queue, since):
        missing.append(f"a worker on queue {queue!r}")
    if emulator and not _answers(emulator + "/_emulator/users"):
        missing.append(f"the Google emulator ({emulator})")
    mail = os.environ.get("MAIL_PAGE_URL")
    if mail and not _answers(mail + "/healthz"):
        missing.append(f"the local mail server ({mail})")
    return missing


def main(portal: str, redis_url: str, queue: str, emulator: str | None = None) -> int:
    """Wait for everything `make run` starts, then say where to go."""
    parent, deadline = os.getppid(), time.monotonic() + WAIT_SECONDS
    since = datetime.now(UTC) - timedelta(seconds=5)
    missing = _waiting_for(portal, redis_url, queue, emulator, since)
    while missing and time.monotonic() < deadline and os.getppid() == parent:
        time.sleep(0.5)
        missing = _waiting_for(portal, redis_url, queue, emulator, since)
    if os.getppid() != parent:
        return 0
    if missing:
        print(
            f"Coordinoter is NOT ready after {WAIT_SECONDS} s: no answer from "
            + ", ".join(missing),
            flush=True,
        )
        return 1
    google = f"   Google emulator: {emulator}/" if emulator else ""
    page = os.environ.get("MAIL_PAGE_URL")
    mail = f"   Mail it sends: {page}/" if page else ""
    print(f"\nCoordinoter is ready: {portal}/{google}{mail}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
