"""Fixtures and helpers for sync tests: a coordinator connected through the real flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Event, EventLink, GoogleConnection, OutboxEntry, SyncLog
from tests.google.conftest import GOOGLE_USER

SOON = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) + timedelta(days=2)


def fresh(connection: GoogleConnection) -> GoogleConnection:
    """The connection as the workers left it (they commit in their own sessions)."""
    db.session.expire_all()
    return db.session.get(GoogleConnection, connection.id)


def google_events(google, include_deleted: bool = False) -> list[dict]:
    """Every event on the coordinator's primary Google calendar."""
    return google.state.list_events(GOOGLE_USER, include_deleted=include_deleted)


def live_events(user_id: int) -> list[Event]:
    """The coordinator's events that are not tombstoned."""
    db.session.expire_all()
    stmt = select(Event).where(Event.owner_id == user_id, Event.deleted_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Event.id)))


def link_of(event: Event) -> EventLink | None:
    """The event's link to its Google copy."""
    return db.session.scalar(select(EventLink).where(EventLink.event_id == event.id))


def pending_outbox() -> list[OutboxEntry]:
    """Outbox rows not pushed yet."""
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEntry).where(OutboxEntry.processed_at.is_(None))))


def activity(kind: str | None = None) -> list[SyncLog]:
    """Activity rows, oldest first, optionally of one kind."""
    stmt = select(SyncLog).order_by(SyncLog.id)
    if kind:
        stmt = stmt.where(SyncLog.kind == kind)
    return list(db.session.scalars(stmt))


def timed(start: datetime, minutes: int = 60, zone: str = "Australia/Sydney") -> dict:
    """Google start/end for a timed event."""
    end = start + timedelta(minutes=minutes)
    return {
        "start": {"dateTime": start.isoformat().replace("+00:00", "Z"), "timeZone": zone},
        "end": {"dateTime": end.isoformat().replace("+00:00", "Z"), "timeZone": zone},
    }
