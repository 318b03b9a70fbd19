"""Enqueueing Google jobs so that each connection has at most one of a kind waiting.

A Redis "pending" marker per (kind, connection) holds "<job id> <time it was set>". It is set
with NX when a job is enqueued and cleared when that job starts (jobs.py), so however many
notifications or edits arrive, one job runs and at most one more waits. A marker whose job can
no longer run (lost with a killed worker, or scheduled while no scheduler runs) is replaced.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from portal.core.queue import get_queue, redis_connection, redis_script

log = logging.getLogger(__name__)

PENDING_TTL = 900


def key(kind: str, connection_id: int) -> str:
    """The Redis key of one connection's marker ("pending:pull", "running:push", ...)."""
    return f"coordinoter:{kind}:{connection_id}"


def retry_policy() -> Retry:
    """RQ retries with exponential intervals and jitter, for outages longer than the client's."""
    raw = current_app.config.get("GOOGLE_JOB_RETRY_INTERVALS", "5,30,120,600,1800")
    intervals = [float(x) for x in str(raw).split(",") if x.strip()]
    return Retry(max=len(intervals), interval=[int(i * random.uniform(1, 1.25)) for i in intervals])


def enqueue_once(kind: str, func: Callable, connection_id: int, *args) -> bool:
    """Enqueue func(connection_id, *args) unless a job of this kind already waits."""
    redis = redis_connection()
    pending = key(f"pending:{kind}", connection_id)
    job_id, marker = new_marker(kind, connection_id)
    if not redis.set(pending, marker, nx=True, ex=PENDING_TTL):
        waiting = redis.get(pending)
        if waiting is not None and still_waiting(pending, waiting.decode()):
            return False
        # The marker outlived its job (lost with a killed worker, or deleted): replace it.
        redis.set(pending, marker, ex=PENDING_TTL)
    submit(kind, func, connection_id, *args, job_id=job_id)
    return True


def new_marker(kind: str, connection_id: int) -> tuple[str, str]:
    """A job id, and the pending marker that stands for it: "<job id> <time it was set>"."""
    job_id = f"{kind}-{connection_id}-{uuid.uuid4().hex}"
    return job_id, f"{job_id} {time.time():.3f}"


def submit(
    kind: str, func: Callable, connection_id: int, *args, job_id: str, delay: float = 0
) -> None:
    """Put the job on the queue (or, with a delay, in RQ's scheduled registry)."""
    options = {
        "job_id": job_id,
        "retry": retry_policy(),
        "job_timeout": 3600,
        "description": f"google {kind} for connection {connection_id}",
    }
    queue = get_queue()
    try:
        if delay > 0:
            queue.enqueue_in(timedelta(seconds=delay), func, connection_id, *args, **options)
        else:
            queue.enqueue(func, connection_id, *args, **options)
    except Exception:
        redis_connection().delete(key(f"pending:{kind}", connection_id))
        raise


# A marker this young may belong to a job another process is enqueueing right now.
MARKER_GRACE = 5.0

# Replace a marker only if it is still the one we looked at (compare and set).
_RENEW_MARKER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
return false
"""


def still_waiting(pending: str, marker: str) -> bool:
    """Whether the job a pending marker stands for can still run."""
    job_id, set_at = marker.split()
    if time.time() - float(set_at) < MARKER_GRACE:
        return True
    if not _job_can_run(job_id):
        return False
    # Alive: note when we checked, so a stream of notifications checks once per grace period.
    redis_script(_RENEW_MARKER)(keys=[pending], args=[marker, f"{job_id} {time.time():.3f}"])
    return True


def _job_can_run(job_id: str) -> bool:
    redis = redis_connection()
    try:
        status = Job.fetch(job_id, connection=redis).get_status()
    except NoSuchJobError:
        return False
    if status == JobStatus.QUEUED:
        # A worker killed between taking a job off the queue and starting it leaves it
        # "queued" but nowhere in the queue.
        return redis.lpos(get_queue().key, job_id) is not None
    if status == JobStatus.SCHEDULED:
        return _scheduler_keeps_up(job_id)
    return status == JobStatus.DEFERRED


# RQ's scheduler moves due jobs to the queue every second; one this late is not coming.
SCHEDULER_LATE = timedelta(seconds=5)
# How often the clock process looks for such jobs (watch_overdue), in seconds.
OVERDUE_EVERY = 1.0


def _scheduler_keeps_up(job_id: str) -> bool:
    try:
        due = get_queue().scheduled_job_registry.get_scheduled_time(job_id)
    except NoSuchJobError:
        return False
    if due.replace(tzinfo=UTC) > datetime.now(UTC) - SCHEDULER_LATE:
        return True
    log.warning(
        "scheduled job %s is overdue: run the worker with --with-scheduler (Procfile)", job_id
    )
    return False


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
