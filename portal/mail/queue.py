"""The send job on RQ: one job per mail row, retried with backoff, and the sweep of rows whose
job was lost. The only mail module that imports RQ (pyproject.toml's import contract)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from rq import Queue, Retry
from sqlalchemy import select

from portal.core.queue import get_queue
from portal.extensions import db
from portal.models import MailMessage, utcnow

SEND_JOB = "portal.mail.jobs.send_mail_job"
JOB_TIMEOUT = 120
# Queued rows the sweep enqueues per clock tick at most; the rest wait for the next tick.
SWEEP_CAP = 500
# After a failed try, the sweep waits this much longer than RQ's own retry would.
SWEEP_SLACK = timedelta(minutes=2)


def retry_intervals(config: Mapping[str, Any]) -> list[int]:
    """MAIL_RETRY_INTERVALS as seconds."""
    raw = str(config.get("MAIL_RETRY_INTERVALS", "30,120,600,1800,3600"))
    return [int(float(x)) for x in raw.split(",") if x.strip()]


def retry_policy(config: Mapping[str, Any]) -> Retry | None:
    """RQ's retries of a send, with jitter so many mails to one dead server spread out."""
    intervals = retry_intervals(config)
    if not intervals:
        return None
    return Retry(max=len(intervals), interval=[int(i * random.uniform(1, 1.2)) for i in intervals])


def next_try(attempts: int, config: Mapping[str, Any], now: datetime) -> datetime:
    """When the sweep may try a row again after its `attempts`-th failure."""
    intervals = retry_intervals(config) or [3600]
    wait = intervals[min(attempts, len(intervals)) - 1] if attempts else 0
    return now + timedelta(seconds=wait) + SWEEP_SLACK


def enqueue_mail(message_ids: list[int], config: Mapping[str, Any]) -> None:
    """Put the send job of each row on the queue, in one Redis round trip."""
    queue = get_queue()
    datas = [
        Queue.prepare_data(
            SEND_JOB,
            (message_id,),
            retry=retry_policy(config),
            timeout=JOB_TIMEOUT,
            description=f"mail {message_id}",
        )
        for message_id in message_ids
    ]
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many(datas, pipeline=pipe)
        pipe.execute()


def due_mail(now: datetime, limit: int = SWEEP_CAP) -> list[int]:
    """Queued rows whose next try is due (their own job was lost or spent), oldest first."""
    stmt = (
        select(MailMessage.id)
        .where(MailMessage.status == "queued", MailMessage.next_attempt_at <= now)
        .order_by(MailMessage.next_attempt_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def sweep_due_mail(config: Mapping[str, Any], now: datetime | None = None) -> int:
    """Enqueue the due rows again, each put off first so the next tick skips it; flushes."""
    now = now or utcnow()
    due = due_mail(now)
    if not due:
        return 0
    for row in db.session.scalars(select(MailMessage).where(MailMessage.id.in_(due))):
        row.next_attempt_at = now + SWEEP_SLACK
    db.session.flush()
    enqueue_mail(due, config)
    return len(due)
