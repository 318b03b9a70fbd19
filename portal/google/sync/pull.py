"""Pull: Google's changes into the portal, incremental by sync token, full when Google says so."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, select

from portal.extensions import db
from portal.google.api.client import CalendarClient
from portal.google.api.errors import GoogleApiError
from portal.google.sync.activity import log_activity
from portal.google.sync.links import on_current_calendar
from portal.google.sync.mapping import is_exception
from portal.google.sync.pull_scope import PullScope
from portal.google.sync.reconcile import (
    PullCounts,
    apply_remote_event,
    series_of,
    tombstone_from_google,
)
from portal.models import Event, EventLink, GoogleConnection, utcnow

IMPORT_WINDOW_DAYS = 90

Checkpoint = Callable[[], None]


def _no_checkpoint() -> None:
    """Business functions only flush; a job passes db.session.commit here."""


def pull_changes(
    connection: GoogleConnection, client: CalendarClient, checkpoint: Checkpoint = _no_checkpoint
) -> PullCounts:
    """Apply every change since the stored sync token (or do a full sync without one)."""
    if not connection.sync_token:
        return full_sync(connection, client, checkpoint)
    counts = PullCounts()
    try:
        next_token = _apply_pages(
            connection, client, counts, checkpoint, sync_token=connection.sync_token
        )
    except GoogleApiError as exc:
        if exc.status != 410:
            raise
        # The token expired or Google invalidated it (possibly mid-pagination): start over.
        log_activity(connection, "pull", "Google asked for a full re-sync", direction="from_google")
        connection.sync_token = None
        return full_sync(connection, client, checkpoint)
    _finish(connection, next_token, counts, full=False)
    return counts


def full_sync(
    connection: GoogleConnection, client: CalendarClient, checkpoint: Checkpoint = _no_checkpoint
) -> PullCounts:
    """List the whole window, reconcile by Google id, and treat absent linked events as deleted."""
    counts = PullCounts()
    window_start = utcnow() - timedelta(days=IMPORT_WINDOW_DAYS)
    connection.import_count = 0
    seen: set[str] = set()
    next_token = _apply_pages(
        connection,
        client,
        counts,
        checkpoint,
        seen=seen,
        time_min=window_start.isoformat().replace("+00:00", "Z"),
    )
    counts.deleted += _tombstone_missing(connection, seen, window_start)
    _finish(connection, next_token, counts, full=True)
    return counts


def _apply_pages(
    connection: GoogleConnection,
    client: CalendarClient,
    counts: PullCounts,
    checkpoint: Checkpoint,
    seen: set[str] | None = None,
    **listing,
) -> str | None:
    """Apply each page, committing applied items as we go but never the new sync token."""
    full = seen is not None
    scope = PullScope(connection)
    deferred: list[dict] = []
    next_token = None
    for page in client.iter_event_pages(connection.calendar_id, **listing):
        items = page.get("items", [])
        scope.prefetch(items)
        # Series before their exceptions, so an exception finds its series on the same page.
        for item in sorted(items, key=is_exception):
            if apply_remote_event(scope, item, counts, log_each=not full) == "deferred":
                deferred.append(item)
            if full:
                seen.add(item["id"])
        scope.end_page()
        if full:
            connection.import_count += len(items)
        # Progress survives a crash; the token does not move until the end, so a crash re-pulls.
        checkpoint()
        next_token = page.get("nextSyncToken")
    _apply_deferred(scope, client, counts, deferred, log_each=not full)
    return next_token


def _apply_deferred(
    scope: PullScope,
    client: CalendarClient,
    counts: PullCounts,
    deferred: list[dict],
    log_each: bool,
) -> None:
    """Exceptions whose series came later, or not at all (fetch the series, then retry)."""
    calendar_id = scope.connection.calendar_id
    for item in deferred:
        if series_of(scope, item) is None:
            series = client.get_event(calendar_id, item["recurringEventId"])
            apply_remote_event(scope, series, counts, log_each)
        apply_remote_event(scope, item, counts, log_each)
    scope.end_page()


def _tombstone_missing(connection: GoogleConnection, seen: set[str], window_start) -> int:
    """Linked events inside the window that Google no longer lists were deleted there."""
    # Ids only: a re-sync of a large calendar would otherwise load every linked event.
    stmt = (
        select(Event.id, EventLink.google_event_id)
        .join(EventLink, EventLink.event_id == Event.id)
        .where(
            *on_current_calendar(connection),
            EventLink.remote_deleted.is_(False),
            Event.deleted_at.is_(None),
            or_(Event.end_at > window_start, Event.end_date > window_start.date()),
        )
    )
    gone = 0
    for event_id, google_event_id in db.session.execute(stmt).all():
        if google_event_id not in seen:
            tombstone_from_google(connection, db.session.get(Event, event_id))
            gone += 1
    return gone


def _finish(connection: GoogleConnection, token: str | None, counts: PullCounts, full: bool):
    connection.sync_token = token
    connection.last_sync_at = utcnow()
    if full:
        count = connection.import_count
        message = f"Imported {count:,} event{'' if count == 1 else 's'}"
        if counts.deleted:
            message += f"; {counts.deleted} deleted in Google since the last sync"
        log_activity(connection, "import", message, direction="from_google")
    elif counts.changes or counts.conflicts:
        # How long the oldest applied change took to get here, for the card's median.
        latency = None
        if counts.earliest_change is not None:
            latency = {
                "latency_ms": int((utcnow() - counts.earliest_change).total_seconds() * 1000)
            }
        log_activity(connection, "pull", counts.summary(), direction="from_google", detail=latency)
    db.session.flush()
