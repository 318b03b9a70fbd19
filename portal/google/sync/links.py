"""The links between portal events and their Google copies, on a connection's current calendar."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, select

from portal.extensions import db
from portal.google.sync.body import remembered_fields
from portal.google.sync.mapping import parse_rfc3339, rule_of
from portal.models import EventLink, GoogleConnection, utcnow

# Ids per IN (...): SQLite limits bound parameters, and short lists keep plans simple.
ID_CHUNK = 500


def on_current_calendar(connection: GoogleConnection) -> tuple:
    """SQL conditions selecting the links of a connection's current calendar."""
    return (
        EventLink.connection_id == connection.id,
        EventLink.calendar_id == connection.calendar_id,
    )


def link_for_event(connection: GoogleConnection, event_id: int) -> EventLink | None:
    """The link of a portal event on this connection's calendar, if it has been synced."""
    return db.session.scalar(
        select(EventLink).where(*on_current_calendar(connection), EventLink.event_id == event_id)
    )


def link_for_google_id(connection: GoogleConnection, google_event_id: str) -> EventLink | None:
    """The link of a Google event id on this connection's calendar, if we know it."""
    return db.session.scalar(
        select(EventLink).where(
            *on_current_calendar(connection), EventLink.google_event_id == google_event_id
        )
    )


def links_for_google_ids(
    connection: GoogleConnection, google_event_ids: Iterable[str]
) -> list[EventLink]:
    """The links of these Google ids on this connection's calendar, in a few queries."""
    ordered = sorted(google_event_ids)
    links: list[EventLink] = []
    for start in range(0, len(ordered), ID_CHUNK):
        chunk = ordered[start : start + ID_CHUNK]
        links += db.session.scalars(
            select(EventLink).where(
                *on_current_calendar(connection), EventLink.google_event_id.in_(chunk)
            )
        )
    return links


def new_link(connection: GoogleConnection, event_id: int, google_event_id: str) -> EventLink:
    """A link on the connection's current calendar (added to the session, not flushed)."""
    link = EventLink(
        connection_id=connection.id,
        calendar_id=connection.calendar_id,
        event_id=event_id,
        google_event_id=google_event_id,
    )
    db.session.add(link)
    return link


def insert_links(connection: GoogleConnection, new: list[tuple[int, dict, int]]) -> None:
    """Link new events to their Google items: (event id, item, version) each, in one executemany.

    The links are written straight to the database, not loaded into the session: a bulk
    import would otherwise build and track thousands of objects nobody reads again.
    """
    if not new:
        return
    rows = [
        {
            "connection_id": connection.id,
            "calendar_id": connection.calendar_id,
            "event_id": event_id,
            "google_event_id": item["id"],
            **remembered(item, version),
        }
        for event_id, item, version in new
    ]
    db.session.execute(insert(EventLink), rows)


def remember(link: EventLink, item: dict, version: int) -> None:
    """Store what Google holds now: its etag and `updated`, and the portal version it matches."""
    for name, value in remembered(item, version).items():
        setattr(link, name, value)


def remembered(item: dict, version: int) -> dict:
    """The link columns that record what Google holds now and the portal version it matches."""
    return {
        "etag": item.get("etag"),
        "google_updated": parse_rfc3339(item["updated"]) if item.get("updated") else None,
        "synced_version": version,
        "synced_recurrence": rule_of(item),
        "synced_at": utcnow(),
        "remote_deleted": item.get("status") == "cancelled",
        "synced_body": remembered_fields(item),
    }
