"""Finding work left behind: outbox rows nobody enqueued (Redis was down, a worker died)."""

from __future__ import annotations

from portal.google.sync.outbox import connections_with_pending_changes


def sweep_outbox() -> int:
    """Enqueue a push for every connection with pending changes; returns how many."""
    from portal.google.worker.jobs import enqueue_push

    return sum(1 for cid in connections_with_pending_changes() if enqueue_push(cid))
