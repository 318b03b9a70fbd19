"""Finding work left behind: outbox rows nobody enqueued (Redis was down, a worker died)."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import GoogleConnection, OutboxEntry


def connections_with_pending_changes() -> list[int]:
    """Ids of active connections whose user has unpushed outbox rows."""
    stmt = (
        select(GoogleConnection.id)
        .join(OutboxEntry, OutboxEntry.user_id == GoogleConnection.user_id)
        .where(OutboxEntry.processed_at.is_(None), GoogleConnection.is_active)
        .distinct()
    )
    return list(db.session.scalars(stmt))


def sweep_outbox() -> int:
    """Enqueue a push for every connection with pending changes; returns how many."""
    from portal.google.worker.jobs import enqueue_push

    return sum(1 for cid in connections_with_pending_changes() if enqueue_push(cid))
