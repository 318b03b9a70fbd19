"""RQ's scheduler after a chaos fault: a delayed job (a burst's deferred pull, a retry with an
interval) must still run when the worker whose scheduler held the queue's lock is lost.

Each `flask worker --with-scheduler` starts a scheduler, but only one holds the queue's lock;
the lock outlives a SIGKILLed holder for a minute, and the other workers try to take it over
only in their maintenance, every ten minutes.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from rq import Worker
from rq.job import JobStatus
from rq.scheduler import RQScheduler

from portal.core.queue import get_queue, redis_connection
from portal.google.worker.clock import OVERDUE_EVERY
from portal.google.worker.coalescer import SCHEDULER_LATE
from tests.chaos.world import start_worker
from tests.support.processes import kill, start_clock, wait_for

DUE_IN = timedelta(seconds=0.5)
# A running scheduler looks every second; this is ample.
RUNS_WITHIN = 2.5


@pytest.mark.xfail(
    strict=True,
    reason="RQ: after the worker holding the scheduler lock is SIGKILLed, no other worker "
    "schedules delayed jobs until its maintenance (10 min); deferred pulls and RQ retries "
    "with an interval wait that long (the chaos run's 'delayed jobs no scheduler moved'); "
    "the clock moves them within about 6 s instead (the test below)",
)
def test_a_delayed_job_runs_after_the_worker_running_the_scheduler_is_lost(
    db_backend_is_postgresql, app, tmp_path
):
    workers = [start_worker(app, tmp_path / "one"), start_worker(app, tmp_path / "two")]
    try:
        wait_for(lambda: _listening({w.pid for w in workers}), timeout=30)
        holder = wait_for(lambda: _lock_holder(workers), timeout=30)
        # The worker whose scheduler holds the lock is lost; the other one stays.
        kill(holder)
        job = get_queue().enqueue_in(DUE_IN, "time.time")
        wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, RUNS_WITHIN)
    finally:
        for worker in workers:
            kill(worker)


def test_with_the_clock_a_delayed_job_runs_soon_after_the_scheduler_is_lost(
    db_backend_is_postgresql, app, tmp_path
):
    workers = [start_worker(app, tmp_path / "one"), start_worker(app, tmp_path / "two")]
    clock = start_clock(app)
    try:
        wait_for(lambda: _listening({w.pid for w in workers}), timeout=30)
        holder = wait_for(lambda: _lock_holder(workers), timeout=30)
        kill(holder)
        job = get_queue().enqueue_in(DUE_IN, "time.time")
        # Overdue once SCHEDULER_LATE has passed; the clock looks every OVERDUE_EVERY.
        bound = (DUE_IN + SCHEDULER_LATE).total_seconds() + 2 * OVERDUE_EVERY + RUNS_WITHIN
        wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, bound)
    finally:
        for process in (*workers, clock):
            kill(process)


def _listening(pids: set[int]) -> bool:
    return pids <= {w.pid for w in Worker.all(connection=redis_connection())}


def _lock_holder(workers: list):
    """The worker process whose scheduler (a child in its process group) holds the lock."""
    name = redis_connection().get(RQScheduler.get_locking_key(get_queue().name))
    if name is None:
        return None
    try:
        scheduler = RQScheduler.fetch(name.decode(), redis_connection())
        group = os.getpgid(scheduler.pid)
    except Exception:  # not registered yet, or just gone: look again
        return None
    return next((w for w in workers if w.pid == group), None)
