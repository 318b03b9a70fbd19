"""The outbox: every local change that Google must hear about, written with the change itself.

Calendar operations call `record_change` before their commit (same transaction, so a change
is never lost). It also notes the coordinator in the session (`push_wanted`): after the commit
the worker's session hook enqueues the push. If Redis is down at that moment the row simply
waits for the sweeper. The push (push.py) reads the rows it sends and closes them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.google.sync.links import on_current_calendar
from portal.google.sync.pull import IMPORT_WINDOW_DAYS
from portal.models import Event, EventLink, GoogleConnection, OutboxEntry, utcnow

_PUSH_WANTED = "coordinoter_push_wanted"


def record_change(event: Event) -> OutboxEntry | None:
    """Queue a push of this event if its owner has a Google connection; flushes."""
    connected = db.session.scalar(
        select(GoogleConnection.id).where(
            GoogleConnection.user_id == event.owner_id, GoogleConnection.queues_changes
        )
    )
    if connected is None:
        return None
    entry = _entry(event)
    db.session.add(entry)
    db.session.flush()
    _want_push(event.owner_id)
    return entry


def _entry(event: Event) -> OutboxEntry:
    return OutboxEntry(user_id=event.owner_id, event_id=event.id, event_version=event.version)


def _want_push(user_id: int) -> None:
    """Note that this coordinator's outbox has news once the transaction commits."""
    db.session.info.setdefault(_PUSH_WANTED, set()).add(user_id)


def push_wanted(session: Session) -> set[int]:
    """The coordinators whose outbox got rows in this session's transaction (and forget them)."""
    return session.info.pop(_PUSH_WANTED, set())


def connections_with_pending_changes() -> list[int]:
    """Ids of active connections whose user has unpushed outbox rows."""
    stmt = (
        select(GoogleConnection.id)
        .join(OutboxEntry, OutboxEntry.user_id == GoogleConnection.user_id)
        .where(OutboxEntry.processed_at.is_(None), GoogleConnection.is_active)
        .distinct()
    )
    return list(db.session.scalars(stmt))


def queue_unlinked_events(connection: GoogleConnection) -> int:
    """After an import, queue the portal's own current events that Google does not have yet.

    Not noted for a push after commit: the import job pushes them itself right away.
    """
    window_start = utcnow() - timedelta(days=IMPORT_WINDOW_DAYS)
    # The portal's own appointments belong on whichever calendar is chosen now; events that
    # came from Google stay on the calendar they came from.
    linked = select(EventLink.event_id).where(*on_current_calendar(connection))
    stmt = select(Event).where(
        Event.owner_id == connection.user_id,
        Event.origin == "portal",
        Event.deleted_at.is_(None),
        Event.id.not_in(linked),
        or_(Event.end_at > window_start, Event.end_date > window_start.date()),
    )
    events = list(db.session.scalars(stmt))
    db.session.add_all(_entry(event) for event in events)
    db.session.flush()
    return len(events)


def requeue_linked_events(connection: GoogleConnection) -> int:
    """Queue every live portal event on Google again (e.g. after the privacy level changed)."""
    stmt = (
        select(Event, EventLink)
        .join(EventLink, EventLink.event_id == Event.id)
        .where(
            *on_current_calendar(connection),
            EventLink.remote_deleted.is_(False),
            Event.origin == "portal",
            Event.deleted_at.is_(None),
        )
    )
    rows = db.session.execute(stmt).all()
    for event, link in rows:
        # Google's copy no longer matches what this level sends: patch it.
        link.synced_version = 0
        db.session.add(_entry(event))
    db.session.flush()
    if rows:
        _want_push(connection.user_id)
    return len(rows)


def pending_event_ids(user_id: int) -> list[int]:
    """Events of this user with outbox rows still to push, oldest change first."""
    stmt = (
        select(OutboxEntry.event_id)
        .where(OutboxEntry.user_id == user_id, OutboxEntry.processed_at.is_(None))
        .group_by(OutboxEntry.event_id)
        .order_by(db.func.min(OutboxEntry.id))
    )
    return list(db.session.scalars(stmt))


def open_entries(event_id: int) -> list[OutboxEntry]:
    """The outbox rows of an event not pushed yet (read before pushing, closed after)."""
    stmt = select(OutboxEntry).where(
        OutboxEntry.event_id == event_id, OutboxEntry.processed_at.is_(None)
    )
    return list(db.session.scalars(stmt))


def close_entries(entries: list[OutboxEntry], error: str | None = None) -> None:
    """Mark outbox rows done (pushed, or refused by Google with `error`); flushes.

    Rows written during the push stay open for the next one.
    """
    for entry in entries:
        entry.attempts += 1
        entry.processed_at = utcnow()
        if error is not None:
            entry.last_error = error[:1000]
    db.session.flush()
