"""The clock process: the Google jobs it enqueues and how often, and its watch over delayed jobs.

Each scheduled run only enqueues work that is due; the workers do it.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from flask import Flask
from rq.cron import CronScheduler
from rq.exceptions import NoSuchJobError
from rq.job import Job

from portal.config import sync_tuning
from portal.core.logs import routine_level
from portal.core.queue import get_queue, redis_connection
from portal.google.account import incident_checks
from portal.google.intervals import (
    CHANNELS_EVERY,
    HOUSEKEEPING_EVERY,
    SAFETY_NET_EVERY,
    SWEEP_EVERY,
)
from portal.google.worker import jobs
from portal.google.worker.coalescer import SCHEDULER_LATE
from portal.mail import jobs as mail_jobs

log = logging.getLogger(__name__)

# How often the clock process looks for delayed jobs no scheduler moved, in seconds.
OVERDUE_EVERY = 1.0

# (job, how often, its timeout), in seconds.
SCHEDULE = (
    (jobs.sweep_job, SWEEP_EVERY, 300),
    (jobs.safety_net_job, SAFETY_NET_EVERY, 300),
    (jobs.channels_job, CHANNELS_EVERY, 600),
    (jobs.housekeeping_job, HOUSEKEEPING_EVERY, 1800),
    # Mail whose job was lost; live updates off for an hour; admins' summary (once a day each).
    (mail_jobs.sweep_mail_job, SWEEP_EVERY, 300),
    (incident_checks.live_updates_check_job, CHANNELS_EVERY, 300),
    (incident_checks.daily_summary_job, 3600, 600),
)


def run_clock(app: Flask, queue_name: str) -> None:
    """Run RQ's cron scheduler with SCHEDULE, and the overdue watch in a thread of its own."""
    scheduler = CronScheduler(connection=redis_connection(), logging_level=routine_level(app))
    register_schedule(scheduler, app, queue_name)
    threading.Thread(
        target=watch_overdue, args=(app, threading.Event()), name="overdue", daemon=True
    ).start()
    scheduler.start()


def register_schedule(scheduler: CronScheduler, app: Flask, queue_name: str) -> None:
    """Register every job of SCHEDULE with RQ's cron scheduler."""
    # A failed clock job is kept as briefly as the sync's own (RQ's default is a year).
    keep_failed = int(sync_tuning(app.config, "GOOGLE_FAILED_JOB_DAYS") * 86400)
    for func, every, timeout in SCHEDULE:
        scheduler.register(
            func, queue_name, interval=every, job_timeout=timeout, failure_ttl=keep_failed
        )


def release_overdue() -> int:
    """Move delayed jobs that RQ's scheduler left behind onto the queue; returns how many.

    RQ's scheduler runs inside one worker and holds a lock; if that worker is SIGKILLed the
    lock lasts a minute and the other workers only try to take it over every ten, so deferred
    pulls and retries would wait that long. The clock process runs this every OVERDUE_EVERY
    seconds instead (watch_overdue), so a delayed job runs at most about 6 s late.
    """
    queue = get_queue()
    registry = queue.scheduled_job_registry
    cutoff = datetime.now(UTC) - SCHEDULER_LATE
    moved = 0
    for job_id in registry.get_jobs_to_schedule(int(cutoff.timestamp())):
        try:
            job = Job.fetch(job_id, connection=redis_connection())
        except NoSuchJobError:
            registry.remove(job_id)
            continue
        # Removed first: if the scheduler wakes meanwhile, at most one of us enqueues it.
        if registry.remove(job):
            queue.enqueue_job(job)
            moved += 1
    if moved:
        log.warning("moved %d overdue delayed job(s) to the queue: is a scheduler running?", moved)
    return moved


def watch_overdue(app: Flask, stop: threading.Event, every: float = OVERDUE_EVERY) -> None:
    """Release overdue delayed jobs every `every` seconds until stop is set (the clock's thread).

    In the clock's own process rather than as a job: a job every second would put 86,400
    jobs a day through the queue and the workers' logs, for one Redis read each.
    """
    with app.app_context():
        while not stop.wait(every):
            try:
                release_overdue()
            except Exception:
                # Redis away for a moment: the next look will do.
                log.exception("could not look for overdue delayed jobs")
