"""Running the real RQ queue in tests: a SimpleWorker in this process, on the real Redis.

Tests set GOOGLE_JOB_RETRY_INTERVALS to zeros, so RQ puts a failed job straight back on the
queue and a burst worker sees its retries.
"""

from __future__ import annotations

import time

from flask import current_app
from rq import SimpleWorker

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
        worker = SimpleWorker([queue], connection=redis_connection())
        # A worker has its own app context, hence its own database session, as in production.
        with current_app.app_context():
            worker.work(burst=True, logging_level="WARNING")
        ran += worker.successful_job_count + worker.failed_job_count
    # The test's own session must now see what the workers committed.
    db.session.expire_all()
    return ran


def failed_jobs() -> list:
    """Jobs that ended in RQ's failed registry (for assertions and debugging)."""
    registry = get_queue().failed_job_registry
    return [
        registry.job_class.fetch(job_id, connection=redis_connection())
        for job_id in registry.get_job_ids()
    ]
