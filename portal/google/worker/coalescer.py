"""Coalescing: per connection, at most one job of a kind waits, however much asks for one.

A Redis "pending" marker per (kind, connection) holds "<job id> <time it was set>". A claim sets
it (NX) before its job is enqueued; the job releases it when it starts (`running`), so however
many notifications or edits arrive, one job runs and at most one more waits. A marker whose job
can no longer run (lost with a killed worker, or scheduled while no scheduler runs) is
replaced. While a job runs, a "running" marker says so (`in_progress`, for the card).

The webhook claims the pull's marker, or its shard's drain marker (a drain job's, one per shard
of connections marked dirty: dirty.py, drain.py), inside its own Redis script
(realtime/heard.py), with the keys and markers of `Claim`s made here.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from portal.core.queue import get_queue, redis_connection, redis_script

log = logging.getLogger(__name__)

PENDING_TTL = 900
RUNNING_TTL = 3600
# A marker this young may belong to a job another process is enqueueing right now.
MARKER_GRACE = 5.0
# RQ's scheduler moves due jobs to the queue every second; one this late is not coming.
SCHEDULER_LATE = timedelta(seconds=5)

# Replace a marker only if it is still the one we looked at (compare and set).
_RENEW_MARKER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
return false
"""


def key(kind: str, connection_id: int) -> str:
    """The Redis key of one connection's marker ("pending:pull", "running:push", ...)."""
    return f"coordinoter:{kind}:{connection_id}"


@dataclass(frozen=True)
class Claim:
    """A job id, and the pending marker that stands for it until the job starts."""

    kind: str
    connection_id: int
    job_id: str
    marker: str
    ttl: int = PENDING_TTL

    @property
    def key(self) -> str:
        """The pending marker's Redis key."""
        return key(f"pending:{self.kind}", self.connection_id)


def new_claim(kind: str, connection_id: int) -> Claim:
    """A fresh job id and its marker, "<job id> <time it was set>" (nothing written yet)."""
    job_id = f"{kind}-{connection_id}-{uuid.uuid4().hex}"
    return Claim(kind, connection_id, job_id, f"{job_id} {time.time():.3f}")


def claim(kind: str, connection_id: int) -> Claim | None:
    """Take the pending marker for a new job; None when a job of this kind already waits."""
    fresh = new_claim(kind, connection_id)
    redis = redis_connection()
    if redis.set(fresh.key, fresh.marker, nx=True, ex=fresh.ttl):
        return fresh
    waiting = redis.get(fresh.key)
    if waiting is not None and still_waiting(fresh.key, waiting.decode()):
        return None
    # The marker outlived its job (lost with a killed worker, or deleted): replace it.
    replace(fresh)
    return fresh


def claim_many(kind: str, connection_ids: list[int]) -> list[Claim]:
    """Claims for those of these connections with no job of this kind waiting.

    One Redis round trip for the lot (SET NX each, pipelined); only a marker already standing
    is then checked on its own (`claim`'s path), which the clock's lease makes rare.
    """
    fresh = [new_claim(kind, cid) for cid in connection_ids]
    pipe = redis_connection().pipeline(transaction=False)
    for each in fresh:
        pipe.set(each.key, each.marker, nx=True, ex=each.ttl)
    taken = pipe.execute()
    claims = [each for each, ok in zip(fresh, taken, strict=True) if ok]
    for each, ok in zip(fresh, taken, strict=True):
        if not ok and (again := claim(kind, each.connection_id)) is not None:
            claims.append(again)
    return claims


def replace(claim: Claim) -> None:
    """Make this claim the pending marker, whatever stood there (a lost or rescheduled job)."""
    redis_connection().set(claim.key, claim.marker, ex=claim.ttl)


def release(kind: str, connection_id: int) -> None:
    """Clear the pending marker: its job has started, or could not be enqueued after all."""
    redis_connection().delete(key(f"pending:{kind}", connection_id))


@contextmanager
def running(kind: str, connection_id: int, release_pending: bool = True) -> Iterator[None]:
    """A job of this kind runs: the next request may queue another, and the card knows.

    A drain's pull (release_pending=False) leaves the pending marker alone: it stands for
    another job (a burst's or the safety net's pull), not for this one.
    """
    redis = redis_connection()
    if release_pending:
        release(kind, connection_id)
    redis.set(key(f"running:{kind}", connection_id), "1", ex=RUNNING_TTL)
    try:
        yield
    finally:
        redis.delete(key(f"running:{kind}", connection_id))


def in_progress(connection_id: int, kinds: tuple[str, ...]) -> bool:
    """Whether a job of one of these kinds is waiting or running for this connection."""
    keys = [
        key(f"{state}:{kind}", connection_id) for kind in kinds for state in ("pending", "running")
    ]
    return bool(redis_connection().exists(*keys))


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
        # "queued" in RQ's intermediate list (which holds only the jobs workers are taking,
        # a few); a job still waiting in the queue is not there. Asking the queue itself
        # (LPOS) would scan the whole backlog for every marker checked. A live worker's job
        # found there is a moment from starting, so a second one waiting is still at most one.
        return redis.lpos(get_queue().intermediate_queue_key, job_id) is None
    if status == JobStatus.SCHEDULED:
        return _scheduler_keeps_up(job_id)
    return status == JobStatus.DEFERRED


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
