"""Running the real RQ queue in tests: a SimpleWorker in this process, on the real Redis.

Tests set GOOGLE_JOB_RETRY_INTERVALS to zeros, so RQ puts a failed job straight back on the
queue and a burst worker sees its retries.
"""

from __future__ import annotations

import threading
import time

from flask import current_app
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty

from portal.core.queue import get_queue, redis_connection
from portal.extensions import db


def run_jobs(max_seconds: float = 30.0) -> int:
    """Work the queue until it is empty; returns how many jobs ran."""
    queue = get_queue()
    deadline = time.monotonic() + max_seconds
    ran = 0
    while queue.count:
        if time.monotonic() > deadline:
            raise AssertionError("the job queue did not empty in time")
        ran += _burst_in_thread(current_app._get_current_object(), queue)
    # The test's own session must now see what the workers committed.
    db.session.expire_all()
    return ran


class ThreadWorker(SimpleWorker):
    """A SimpleWorker for a non-main thread, where signals cannot be used."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """Signal handlers can only be installed from the main thread; the test stops us."""


def _burst_in_thread(app, queue) -> int:
    """One burst in a thread of its own: like a real worker it has no request context (no
    url_for without one) and its own app context, hence its own database session."""
    counts: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                worker = ThreadWorker([queue], connection=redis_connection())
                worker.work(burst=True, logging_level="WARNING")
                counts.append(worker.successful_job_count + worker.failed_job_count)
        except BaseException as exc:  # surfaced in the test's own thread below
            errors.append(exc)

    thread = threading.Thread(target=work, name="rq-test-worker")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return counts[0]


def failed_jobs() -> list:
    """Jobs that ended in RQ's failed registry (for assertions and debugging)."""
    registry = get_queue().failed_job_registry
    return [
        registry.job_class.fetch(job_id, connection=redis_connection())
        for job_id in registry.get_job_ids()
    ]


def queued_jobs() -> list[tuple[str, tuple]]:
    """What waits in the real queue: (job function name, its arguments), oldest first."""
    return [(job.func_name.rsplit(".", 1)[-1], tuple(job.args)) for job in get_queue().jobs]
