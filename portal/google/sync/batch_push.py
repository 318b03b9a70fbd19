"""Pushing a burst of changes in Google batch requests: one HTTP call for many changes.

Only the plain cases go in a batch (insert, patch with If-Match, delete of a single event).
Anything else, and any part Google does not answer with 2xx (409, 412, 404, 429, 5xx …),
goes back to the one-by-one push, which knows how to adopt, settle conflicts and back off.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.extensions import db
from portal.google.api.batch import BatchResult
from portal.google.api.calls import Call, delete_call, insert_call, patch_call
from portal.google.api.client import CalendarClient
from portal.google.sync.links import link_for_event, remember
from portal.google.sync.mapping import google_id_for, to_google
from portal.google.sync.push import close_entries, link_event, log_push, open_entries
from portal.models import Event, EventLink, GoogleConnection

# Google accepts up to 1000 calls a batch; smaller batches keep one failure's cost low.
BATCH_SIZE = 50


@dataclass
class Planned:
    """One event's part of a batch."""

    event: Event
    kind: str
    call: Call
    link: EventLink | None = None


def push_in_batches(
    connection: GoogleConnection, events: list[Event], client: CalendarClient
) -> list[Event]:
    """Push what can be batched; returns the events left for the one-by-one push."""
    planned, rest = [], []
    # Rows first, then each event as it is now: a change committed after its rows were read
    # keeps its row open for the next push, instead of being closed with an older version.
    entries = {event.id: open_entries(event.id) for event in events}
    for event in events:
        db.session.refresh(event)
        part = _plan(connection, event)
        if part is None:
            rest.append(event)
        else:
            planned.append(part)
    for start in range(0, len(planned), BATCH_SIZE):
        chunk = planned[start : start + BATCH_SIZE]
        results = client.batch([part.call for part in chunk])
        for part, result in zip(chunk, results, strict=True):
            if not 200 <= result.status < 300:
                rest.append(part.event)
                continue
            _record(connection, part, result)
            close_entries(entries[part.event.id])
    return rest


def _plan(connection: GoogleConnection, event: Event) -> Planned | None:
    if event.is_exception or event.is_series:
        return None
    link = link_for_event(connection, event.id)
    if link is not None and link.remote_deleted:
        return None
    calendar = connection.calendar_id
    if event.is_deleted:
        if link is None or event.deleted_by == "google":
            return None
        return Planned(event, "delete", delete_call(calendar, link.google_event_id), link)
    body = to_google(event, connection.privacy_level)
    if link is None:
        body = {"id": google_id_for(connection.id_prefix, event.id), **body}
        return Planned(event, "insert", insert_call(calendar, body))
    if link.synced_version >= event.version:
        return None
    call = patch_call(calendar, link.google_event_id, body, link.etag)
    return Planned(event, "patch", call, link)


def _record(connection: GoogleConnection, part: Planned, result: BatchResult) -> None:
    event = part.event
    if part.kind == "insert":
        link_event(connection, event, result.body, event.version)
        log_push(connection, event, f"“{event.title}” added to Google")
    elif part.kind == "patch":
        remember(part.link, result.body, event.version)
        log_push(connection, event, f"“{event.title}” updated in Google")
    else:
        part.link.remote_deleted = True
        part.link.synced_version = event.version
        log_push(connection, event, f"“{event.title}” deleted from Google")
