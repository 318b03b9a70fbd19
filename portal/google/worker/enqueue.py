"""Enqueueing the Google jobs, each kind at most once waiting per connection (coalescer.py).

What the web process, the webhook and the jobs themselves call to get work done. Jobs are
named by their path (RQ imports them in the worker), so enqueueing never loads the job code:
nothing that enqueues depends on what the jobs depend on.

A notification that follows the previous one closely is part of a burst: its pull is scheduled
for when the burst has passed (jobs.pull_job), so a burst spread over seconds still costs two
pulls, while a lone edit is pulled at once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from rq import Queue, Retry
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.config import sync_tuning
from portal.core.queue import get_queue
from portal.extensions import db
from portal.google.sync.outbox import connections_with_pending_changes, push_wanted
from portal.google.worker import coalescer, dirty
from portal.google.worker.coalescer import Claim
from portal.models import GoogleConnection

log = logging.getLogger(__name__)

JOBS = "portal.google.worker.jobs"
DRAIN = "portal.google.worker.drain.drain_job"
JOB_TIMEOUT = 3600
_TO_PUSH = "coordinoter_connections_to_push"

JobFunc = Callable | str  # a job function, or its import path


def enqueue_push(connection_id: int) -> bool:
    """Enqueue the push of one connection's outbox (deduplicated)."""
    return enqueue_once("push", f"{JOBS}.push_job", connection_id)


def enqueue_pull(connection_id: int) -> bool:
    """Enqueue an incremental pull (coalesced: one running plus at most one waiting)."""
    if dirty.is_marked(connection_id):
        return False  # a drain job pulls it soon: that is its one waiting pull
    return enqueue_once("pull", f"{JOBS}.pull_job", connection_id)


def enqueue_safety_pull(connection_id: int) -> bool:
    """Enqueue the safety net's pull, which also checks the channel has not gone silent."""
    return enqueue_once("pull", f"{JOBS}.safety_pull_job", connection_id)


def enqueue_safety_pulls(connection_ids: list[int]) -> int:
    """Enqueue the safety net's pulls of many connections, pipelined; returns how many."""
    return enqueue_many_once("pull", f"{JOBS}.safety_pull_job", connection_ids)


def enqueue_channels(connection_ids: list[int]) -> int:
    """Enqueue the opening (or renewal) of many connections' channels, pipelined."""
    return enqueue_many_once("channel", f"{JOBS}.channel_job", connection_ids)


def enqueue_initial_import(connection_id: int) -> bool:
    """Enqueue the first full import of a newly connected (or re-targeted) calendar."""
    return enqueue_once("import", f"{JOBS}.import_job", connection_id)


def enqueue_channel(connection_id: int) -> bool:
    """Enqueue the opening (or renewal) of one connection's watch channel."""
    return enqueue_once("channel", f"{JOBS}.channel_job", connection_id)


def enqueue_disconnect(connection_id: int, remove_events: bool) -> bool:
    """Enqueue the disconnect: channels, optional clean-up on Google, revoke, wipe tokens."""
    return enqueue_once("disconnect", f"{JOBS}.disconnect_job", connection_id, remove_events)


def enqueue_once(kind: str, func: JobFunc, connection_id: int, *args) -> bool:
    """Enqueue func(connection_id, *args) unless a job of this kind already waits."""
    claim = coalescer.claim(kind, connection_id)
    if claim is None:
        return False
    submit(claim, func, *args)
    return True


def enqueue_many_once(kind: str, func: JobFunc, connection_ids: list[int]) -> int:
    """enqueue_once for many connections, GOOGLE_ENQUEUE_BATCH at a time: per batch one
    Redis round trip claims the markers and one puts the jobs on the queue."""
    size = int(sync_tuning(current_app.config, "GOOGLE_ENQUEUE_BATCH"))
    enqueued = 0
    for start in range(0, len(connection_ids), size):
        claims = coalescer.claim_many(kind, connection_ids[start : start + size])
        if claims:
            submit_many(claims, func)
        enqueued += len(claims)
    return enqueued


def submit_many(claims: list[Claim], func: JobFunc) -> None:
    """Put the claimed jobs on the queue in one pipeline (each job as `submit` would)."""
    queue = get_queue()
    datas = [
        Queue.prepare_data(func, (claim.connection_id,), **_job_options(claim)) for claim in claims
    ]
    try:
        with queue.connection.pipeline() as pipe:
            queue.enqueue_many(datas, pipeline=pipe)
            pipe.execute()
    except Exception:
        for claim in claims:
            coalescer.release(claim.kind, claim.connection_id)
        raise


@dataclass(frozen=True)
class NoticeClaims:
    """What the webhook's script may claim: a burst's pull, or a mark and its shard's drain."""

    pull: Claim
    drain: Claim
    dirty_key: str


def notice_claims(connection_id: int) -> NoticeClaims:
    """A notification's possible claims, for the webhook's script (heard.py)."""
    shard = dirty.shard_of(connection_id)
    return NoticeClaims(
        coalescer.new_claim("pull", connection_id),
        coalescer.new_claim("drain", shard),
        dirty.dirty_key(shard),
    )


def enqueue_noticed_pull(claims: NoticeClaims, verdict: str, waiting: str | None) -> str:
    """Follow the webhook's verdict on a genuine notification: "accepted" or "coalesced".

    "drain": the script marked the connection and claimed its shard's drain marker; "later"
    (a burst: pull once it has passed): it set the pull's marker; "draining" and "waiting":
    another drain's or pull's marker stands, replaced if that job can no longer run.
    """
    if verdict == "draining":
        if waiting is not None and coalescer.still_waiting(claims.drain.key, waiting):
            return "coalesced"
        coalescer.replace(claims.drain)
        verdict = "drain"
    if verdict == "drain":
        submit(claims.drain, DRAIN)
        return "accepted"
    claim = claims.pull
    if verdict == "waiting":
        if waiting is not None and coalescer.still_waiting(claim.key, waiting):
            return "coalesced"
        coalescer.replace(claim)
    if verdict == "later":
        quiet = sync_tuning(current_app.config, "GOOGLE_BURST_QUIET")
        submit(claim, f"{JOBS}.pull_job", time.time(), True, delay=quiet)
    else:
        submit(claim, f"{JOBS}.pull_job", None, True)
    return "accepted"


def enqueue_retry_pull(connection_id: int) -> bool:
    """A pull of its own for a connection whose drained pull failed, after the first of
    RQ's retry intervals (RQ retries it as any job); False if a pull already waits."""
    claim = coalescer.claim("pull", connection_id)
    if claim is None:
        return False
    intervals = retry_policy().intervals
    submit(claim, f"{JOBS}.pull_job", None, True, delay=intervals[0] if intervals else 0)
    return True


def enqueue_drain_if_dirty(shard: int) -> bool:
    """Make sure a drain job will take the shard's marks, when it has any (at the earliest's
    due time); False when it has none or a drain already waits."""
    due = dirty.earliest(shard)
    if due is None:
        return False
    claim = coalescer.claim("drain", shard)
    if claim is None:
        return False
    submit(claim, DRAIN, delay=due - time.time())
    return True


def enqueue_drains() -> int:
    """The safety net's check of every shard: a drain lost with a killed worker is replaced."""
    return sum(enqueue_drain_if_dirty(shard) for shard in range(dirty.SHARDS))


def enqueue_pull_later(
    connection_id: int, burst_started: float, delay: float, noticed: bool = False
) -> None:
    """Put a burst's pull off again; notifications keep coalescing into the new job."""
    claim = coalescer.new_claim("pull", connection_id)
    coalescer.replace(claim)
    submit(claim, f"{JOBS}.pull_job", burst_started, noticed, delay=delay)


def enqueue_second_look(connection_id: int, delay: float) -> bool:
    """One more pull `delay` seconds from now, for a change Google announced but did not list
    yet; not itself followed by another. False if such a look is already waiting."""
    claim = coalescer.claim("look", connection_id)
    if claim is None:
        return False
    submit(claim, f"{JOBS}.second_look_job", time.time(), delay=delay)
    return True


def pull_in_progress(connection_id: int) -> bool:
    """Whether a pull or import of this connection is waiting (or marked) or running."""
    return coalescer.in_progress(connection_id, ("pull", "import")) or dirty.is_marked(
        connection_id
    )


def submit(claim: Claim, func: JobFunc, *args, delay: float = 0) -> None:
    """Put the claimed job on the queue (or, with a delay, in RQ's scheduled registry)."""
    options = _job_options(claim)
    options["job_timeout"] = options.pop("timeout")
    queue = get_queue()
    try:
        if delay > 0:
            queue.enqueue_in(timedelta(seconds=delay), func, claim.connection_id, *args, **options)
        else:
            queue.enqueue(func, claim.connection_id, *args, **options)
    except Exception:
        coalescer.release(claim.kind, claim.connection_id)
        raise


def _job_options(claim: Claim) -> dict:
    """RQ's options for a claimed job, in Queue.prepare_data's terms."""
    return {
        "job_id": claim.job_id,
        "retry": retry_policy(),
        "timeout": JOB_TIMEOUT,
        "failure_ttl": failure_ttl(),
        "description": f"google {claim.kind} for {_whose(claim)}",
    }


def _whose(claim: Claim) -> str:
    # A drain's claim is a shard's, not a connection's.
    noun = "shard" if claim.kind == "drain" else "connection"
    return f"{noun} {claim.connection_id}"


def failure_ttl() -> int:
    """How long RQ keeps a failed job, in seconds (GOOGLE_FAILED_JOB_DAYS; RQ's own is a year)."""
    return int(sync_tuning(current_app.config, "GOOGLE_FAILED_JOB_DAYS") * 86400)


def retry_policy() -> Retry:
    """RQ retries with exponential intervals and jitter, for outages longer than the client's."""
    raw = current_app.config.get("GOOGLE_JOB_RETRY_INTERVALS", "5,30,120,600,1800")
    intervals = [float(x) for x in str(raw).split(",") if x.strip()]
    return Retry(max=len(intervals), interval=[int(i * random.uniform(1, 1.25)) for i in intervals])


def kick(user_id: int) -> bool:
    """Enqueue the push of a coordinator's active connection now; False if none or Redis is down.

    The push hook below does this after every commit that queued a change; tests and
    benchmarks call it to say so explicitly.
    """
    connection_id = db.session.scalar(
        select(GoogleConnection.id).where(
            GoogleConnection.user_id == user_id, GoogleConnection.is_active
        )
    )
    return connection_id is not None and _push_quietly(connection_id)


def _push_quietly(connection_id: int) -> bool:
    try:
        return enqueue_push(connection_id)
    except Exception as exc:  # Redis down: the sweeper will find the rows later
        log.warning("could not enqueue push for connection %s: %s", connection_id, exc)
        return False


def sweep_outbox() -> int:
    """Enqueue a push for every connection with pending changes (pipelined); returns how many."""
    return enqueue_many_once("push", f"{JOBS}.push_job", connections_with_pending_changes())


def install_push_hook() -> None:
    """After every commit that queued changes for Google (sync/outbox.py), enqueue the push."""
    # On SQLAlchemy's Session class: every session of the process, web or worker.
    if not event.contains(Session, "before_commit", _connections_to_push):
        event.listen(Session, "before_commit", _connections_to_push)
        event.listen(Session, "after_commit", _push_after_commit)
        event.listen(Session, "after_soft_rollback", _forget_pushes)


def _connections_to_push(session: Session) -> None:
    # Read while the transaction is still open; after the commit the session may not query.
    users = push_wanted(session)
    if users:
        stmt = select(GoogleConnection.id).where(
            GoogleConnection.user_id.in_(users), GoogleConnection.is_active
        )
        session.info[_TO_PUSH] = list(session.scalars(stmt))


def _push_after_commit(session: Session) -> None:
    for connection_id in session.info.pop(_TO_PUSH, ()):
        _push_quietly(connection_id)


def _forget_pushes(session: Session, _previous: object) -> None:
    session.info.pop(_TO_PUSH, None)
    push_wanted(session)
