"""The outbox: every local change that Google must hear about, written with the change itself.

Calendar operations call `record_change` before their commit (same transaction, so a change
is never lost), and views call `kick` after the commit to enqueue the push job. If Redis is
down at that moment the row simply waits for the sweeper.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from portal.extensions import db
from portal.models import Event, GoogleConnection, OutboxEntry

log = logging.getLogger(__name__)


def record_change(event: Event) -> OutboxEntry | None:
    """Queue a push of this event if its owner has a Google connection; flushes."""
    connected = db.session.scalar(
        select(GoogleConnection.id).where(
            GoogleConnection.user_id == event.owner_id,
            GoogleConnection.queues_changes,
        )
    )
    if connected is None:
        return None
    entry = OutboxEntry(user_id=event.owner_id, event_id=event.id, event_version=event.version)
    db.session.add(entry)
    db.session.flush()
    return entry


def kick(user_id: int) -> bool:
    """After commit: enqueue the push job for this user's connection; False if Redis is down."""
    from portal.google.worker import jobs

    try:
        return jobs.enqueue_push_for_user(user_id)
    except Exception as exc:  # Redis down: the sweeper will find the row later
        log.warning("could not enqueue push for user %s: %s", user_id, exc)
        return False
