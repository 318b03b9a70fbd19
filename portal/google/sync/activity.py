"""The activity log a coordinator reads on the Google card: one row per sync step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import GoogleConnection, SyncLog


def log_activity(
    connection: GoogleConnection,
    kind: str,
    message: str,
    *,
    direction: str | None = None,
    event_id: int | None = None,
    google_event_id: str | None = None,
    outcome: str = "ok",
    detail: dict | None = None,
) -> SyncLog:
    """Record one push, pull, conflict, error or channel step.

    Added, not flushed: the row goes with the session's next flush (the next query, the
    savepoint's end or the commit), with the changes it describes. A flush of its own cost a
    pull a fifth of its CPU.
    """
    row = SyncLog(
        connection_id=connection.id,
        user_id=connection.user_id,
        kind=kind,
        direction=direction,
        event_id=event_id,
        google_event_id=google_event_id,
        outcome=outcome,
        message=message,
        detail=detail,
    )
    db.session.add(row)
    return row


def recent_activity(connection_id: int, limit: int = 10) -> list[SyncLog]:
    """The newest activity rows of a connection."""
    stmt = (
        select(SyncLog)
        .where(SyncLog.connection_id == connection_id)
        .order_by(SyncLog.created_at.desc(), SyncLog.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def unreviewed_conflicts(connection_id: int) -> int:
    """How many resolved conflicts the coordinator has not looked at yet."""
    stmt = select(func.count()).where(
        SyncLog.connection_id == connection_id,
        SyncLog.kind == "conflict",
        SyncLog.reviewed.is_(False),
    )
    return db.session.scalar(stmt) or 0


def median_latency_ms(connection_id: int, since: datetime) -> int | None:
    """The median time changes took to arrive from Google since a moment, in milliseconds."""
    stmt = (
        select(SyncLog.detail)
        .where(
            SyncLog.connection_id == connection_id,
            SyncLog.kind == "pull",
            SyncLog.created_at >= since,
        )
        .order_by(SyncLog.id.desc())
        .limit(1000)
    )
    values = sorted(d["latency_ms"] for d in db.session.scalars(stmt) if d and "latency_ms" in d)
    return values[len(values) // 2] if values else None
