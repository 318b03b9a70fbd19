"""Pull: Google's changes into the portal, incremental by sync token, full when Google says so.

Items are applied by pull_items.ItemApplier: an item that cannot be applied is left out and
shown to the coordinator, and the rest of the pull (and its new sync token) goes through.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, select

from portal.extensions import db
from portal.google.api.client import CalendarClient
from portal.google.api.errors import GoogleApiError
from portal.google.sync.activity import log_activity
from portal.google.sync.links import on_current_calendar
from portal.google.sync.pull_items import ItemApplier
from portal.google.sync.reconcile import PullCounts, tombstone_from_google
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
    applier = ItemApplier(connection, counts, log_each=True)
    try:
        next_token = _apply_pages(applier, client, checkpoint, sync_token=connection.sync_token)
    except GoogleApiError as exc:
        if exc.status != 410:
            raise
        # The token expired or Google invalidated it (possibly mid-pagination): start over.
        log_activity(
            connection,
            "pull",
            "Google asked Coordinoter to read the whole calendar again",
            direction="from_google",
        )
        connection.sync_token = None
        return full_sync(connection, client, checkpoint)
    _finish(connection, next_token, counts, full=False, skipped=len(applier.skipped.ids))
    return counts


def full_sync(
    connection: GoogleConnection, client: CalendarClient, checkpoint: Checkpoint = _no_checkpoint
) -> PullCounts:
    """List the whole window, reconcile by Google id, and treat absent linked events as deleted."""
    counts = PullCounts()
    window_start = utcnow() - timedelta(days=IMPORT_WINDOW_DAYS)
    connection.import_count = 0
    seen: set[str] = set()
    applier = ItemApplier(connection, counts, log_each=False)
    next_token = _apply_pages(
        applier,
        client,
        checkpoint,
        seen=seen,
        time_min=window_start.isoformat().replace("+00:00", "Z"),
    )
    # Google still lists what was left out: never tombstone an event for that.
    counts.deleted += _tombstone_missing(connection, seen, window_start)
    applier.skipped.still_missing(seen)
    _finish(connection, next_token, counts, full=True, skipped=len(applier.skipped.ids))
    return counts


def _apply_pages(
    applier: ItemApplier,
    client: CalendarClient,
    checkpoint: Checkpoint,
    seen: set[str] | None = None,
    **listing,
) -> str | None:
    """Apply each page, committing applied items as we go but never the new sync token."""
    connection = applier.connection
    deferred: list[dict] = []
    next_token = None
    for page in client.iter_event_pages(connection.calendar_id, **listing):
        items = page.get("items", [])
        deferred += applier.apply_page(items)
        if seen is not None:
            seen.update(item["id"] for item in items)
            connection.import_count += len(items)
        # Progress survives a crash; the token does not move until the end, so a crash re-pulls.
        # An incremental pull's last page, with nothing deferred, commits with the token: no
        # Google call comes between, and one transaction fewer for the common one-page pull.
        if page.get("nextPageToken") or deferred or seen is not None:
            checkpoint()
        next_token = page.get("nextSyncToken")
    applier.apply_deferred(
        deferred, lambda series_id: client.get_event(connection.calendar_id, series_id)
    )
    return next_token


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


def _finish(
    connection: GoogleConnection, token: str | None, counts: PullCounts, full: bool, skipped: int
) -> None:
    connection.sync_token = token
    connection.last_sync_at = utcnow()
    if full:
        count = connection.import_count - skipped
        message = f"Imported {count:,} event{'' if count == 1 else 's'}"
        if counts.deleted:
            message += f"; {counts.deleted} deleted in Google since the last sync"
        if skipped:
            message += f"; {skipped} could not be brought in (see below)"
        log_activity(connection, "import", message, direction="from_google")
    elif counts.changes or counts.conflicts:
        # How long the oldest applied change took to get here, for the card's median.
        latency = None
        if counts.earliest_change is not None:
            latency = {
                "latency_ms": int((utcnow() - counts.earliest_change).total_seconds() * 1000)
            }
        log_activity(connection, "pull", counts.summary(), direction="from_google", detail=latency)
