"""Push: portal changes to Google, exactly once, never re-creating what Google deleted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from portal.extensions import db
from portal.google.api.client import CalendarClient
from portal.google.api.errors import GoogleApiError
from portal.google.sync.activity import log_activity
from portal.google.sync.links import link_for_event, new_link, on_current_calendar, remember
from portal.google.sync.mapping import google_id_for, instance_id_for, snapshot, to_google
from portal.google.sync.pull import IMPORT_WINDOW_DAYS
from portal.google.sync.reconcile import settle_conflict, tombstone_from_google
from portal.models import Event, EventLink, GoogleConnection, OutboxEntry, utcnow


def pending_event_ids(user_id: int) -> list[int]:
    """Events of this user with outbox rows still to push, oldest change first."""
    stmt = (
        select(OutboxEntry.event_id)
        .where(OutboxEntry.user_id == user_id, OutboxEntry.processed_at.is_(None))
        .group_by(OutboxEntry.event_id)
        .order_by(db.func.min(OutboxEntry.id))
    )
    return list(db.session.scalars(stmt))


def push_event(connection: GoogleConnection, event: Event, client: CalendarClient) -> str:
    """Make Google's copy match this event and close its outbox rows; returns the outcome."""
    entries = open_entries(event.id)
    # The event as it is now, read after its rows: a change committed since it was loaded is
    # pushed here; one committed after this keeps its row open for the next push.
    db.session.refresh(event)
    try:
        outcome = _push(connection, event, client)
    except GoogleApiError as exc:
        if exc.retryable or exc.status == 401:
            raise
        # Google refuses this event as it is (bad data, forbidden): record it, do not loop.
        for entry in entries:
            entry.attempts += 1
            entry.last_error = str(exc)[:1000]
            entry.processed_at = utcnow()
        log_activity(
            connection,
            "error",
            f"Google refused “{event.title}”: {exc.message or exc.reason}",
            direction="to_google",
            event_id=event.id,
            outcome="failed",
        )
        return "failed"
    close_entries(entries)
    return outcome


def open_entries(event_id: int) -> list[OutboxEntry]:
    """The outbox rows of an event not pushed yet (read before pushing, closed after)."""
    stmt = select(OutboxEntry).where(
        OutboxEntry.event_id == event_id, OutboxEntry.processed_at.is_(None)
    )
    return list(db.session.scalars(stmt))


def close_entries(entries: list[OutboxEntry]) -> None:
    """Mark outbox rows pushed; rows written during the push stay open for the next one."""
    for entry in entries:
        entry.attempts += 1
        entry.processed_at = utcnow()
    db.session.flush()


def _push(connection: GoogleConnection, event: Event, client: CalendarClient) -> str:
    if event.is_exception:
        return _push_occurrence(connection, event, client)
    link = link_for_event(connection, event.id)
    if event.is_deleted:
        return _delete(connection, event, link, client)
    if link is not None and link.remote_deleted:
        # Google's copy was deleted there: never silently re-create it.
        return "skipped"
    if link is None:
        return _insert(connection, event, client)
    if link.synced_version >= event.version:
        return "unchanged"
    return _patch(connection, event, link, client)


def _push_occurrence(connection: GoogleConnection, event: Event, client: CalendarClient) -> str:
    """A moved, edited or cancelled occurrence: written to the series' instance in Google."""
    series = db.session.get(Event, event.series_id)
    series_link = link_for_event(connection, series.id)
    if series_link is None and not series.is_deleted:
        # The occurrence's series must exist in Google first.
        _push(connection, series, client)
        series_link = link_for_event(connection, series.id)
    if series_link is None or series_link.remote_deleted:
        return "skipped"
    link = link_for_event(connection, event.id)
    if link is not None:
        if event.is_deleted:
            return _delete(connection, event, link, client)
        if link.remote_deleted:
            return "skipped"
        return (
            "unchanged"
            if link.synced_version >= event.version
            else _patch(connection, event, link, client)
        )
    instance_id = instance_id_for(series_link.google_event_id, event)
    if event.is_deleted:
        if event.deleted_by != "google":
            _delete_instance(connection, instance_id, client)
        link_event(connection, event, {"id": instance_id, "status": "cancelled"}, event.version)
        log_push(connection, event, f"One occurrence of “{event.title}” cancelled in Google")
        return "deleted"
    # Writing to an instance id is how Google makes an exception of one occurrence.
    try:
        item = client.patch_event(
            connection.calendar_id, instance_id, to_google(event, connection.privacy_level)
        )
    except GoogleApiError as exc:
        if exc.status not in (404, 410):
            raise
        # 410: Google cancelled the occurrence; 404: its series no longer has it (cut short
        # or re-ruled there). Either way it is gone in Google, and that stands.
        link = link_event(connection, event, {"id": instance_id, "status": "cancelled"}, 0)
        return _gone_remotely(connection, event, link)
    link_event(connection, event, item, event.version)
    log_push(connection, event, f"One occurrence of “{event.title}” changed in Google")
    return "updated"


def _delete_instance(
    connection: GoogleConnection, instance_id: str, client: CalendarClient
) -> None:
    try:
        client.delete_event(connection.calendar_id, instance_id)
    except GoogleApiError as exc:
        # 404: the series no longer has that occurrence (e.g. after "this and following").
        if exc.status != 404:
            raise


def _insert(connection: GoogleConnection, event: Event, client: CalendarClient) -> str:
    google_id = google_id_for(connection.id_prefix, event.id)
    body = {"id": google_id, **to_google(event, connection.privacy_level)}
    try:
        item = client.insert_event(connection.calendar_id, body)
    except GoogleApiError as exc:
        if exc.status != 409:
            raise
        # Our earlier insert got through (timeout, crash before commit): adopt that copy.
        item = client.get_event(connection.calendar_id, google_id)
        link = link_event(connection, event, item, synced_version=0)
        if item.get("status") == "cancelled":
            link.remote_deleted = True
            tombstone_from_google(connection, event)
            return "deleted_in_google"
        return _patch(connection, event, link, client)
    link_event(connection, event, item, synced_version=event.version)
    log_push(connection, event, f"“{event.title}” added to Google")
    return "inserted"


def _patch(
    connection: GoogleConnection, event: Event, link: EventLink, client: CalendarClient
) -> str:
    body = to_google(event, connection.privacy_level)
    try:
        item = client.patch_event(connection.calendar_id, link.google_event_id, body, link.etag)
    except GoogleApiError as exc:
        if exc.status in (404, 410):
            return _gone_remotely(connection, event, link)
        if exc.status != 412:
            raise
        # Someone changed Google's copy since we last saw it: fetch it and settle visibly.
        remote = client.get_event(connection.calendar_id, link.google_event_id)
        if remote.get("status") == "cancelled":
            return _gone_remotely(connection, event, link)
        if (
            settle_conflict(connection, event, link, remote)
            and link.synced_version >= event.version
        ):
            return "conflict_google_won"
        # What we send now: the settling may have kept part of Google's version (its rule).
        body = to_google(event, connection.privacy_level)
        item = client.patch_event(connection.calendar_id, link.google_event_id, body, link.etag)
    remember(link, item, event.version)
    log_push(connection, event, f"“{event.title}” updated in Google")
    return "updated"


def _gone_remotely(connection: GoogleConnection, event: Event, link: EventLink) -> str:
    """Google deleted its copy while the portal changed the event: the deletion stands."""
    log_activity(
        connection,
        "conflict",
        f"“{event.title}” was deleted in Google while changed here; kept as deleted in Google "
        "(your changes are saved here)",
        direction="to_google",
        event_id=event.id,
        outcome="google_won",
        detail={"winner": "google", "loser": {"side": "portal", **snapshot(event)}},
    )
    link.remote_deleted = True
    tombstone_from_google(connection, event, log=False)
    return "deleted_in_google"


def _delete(
    connection: GoogleConnection, event: Event, link: EventLink | None, client: CalendarClient
) -> str:
    if event.deleted_by == "google" or (link is not None and link.remote_deleted):
        return "unchanged"
    google_id = link.google_event_id if link else google_id_for(connection.id_prefix, event.id)
    try:
        client.delete_event(connection.calendar_id, google_id)
    except GoogleApiError as exc:
        # 404: it never reached Google; nothing to delete.
        if exc.status != 404:
            raise
    if link is not None:
        link.remote_deleted = True
        link.synced_version = event.version
    log_push(connection, event, f"“{event.title}” deleted from Google")
    return "deleted"


def link_event(
    connection: GoogleConnection, event: Event, item: dict, synced_version: int
) -> EventLink:
    """Link an event to the Google item just written or adopted; flushes."""
    link = new_link(connection, event.id, item["id"])
    remember(link, item, synced_version)
    db.session.flush()
    return link


def log_push(connection: GoogleConnection, event: Event, message: str) -> None:
    """One activity row for a change sent to Google."""
    log_activity(connection, "push", message, direction="to_google", event_id=event.id)


def queue_unlinked_events(connection: GoogleConnection) -> int:
    """After an import, queue the portal's own current events that Google does not have yet."""
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
    db.session.add_all(
        OutboxEntry(user_id=event.owner_id, event_id=event.id, event_version=event.version)
        for event in events
    )
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
        db.session.add(
            OutboxEntry(user_id=event.owner_id, event_id=event.id, event_version=event.version)
        )
    db.session.flush()
    return len(rows)
