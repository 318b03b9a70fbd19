"""The links between portal events and their Google copies, on a connection's current calendar."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.google.mapping import parse_rfc3339
from portal.models import EventLink, GoogleConnection, utcnow


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


def remember(link: EventLink, item: dict, version: int) -> None:
    """Store what Google holds now: its etag and `updated`, and the portal version it matches."""
    link.etag = item.get("etag")
    link.google_updated = parse_rfc3339(item["updated"]) if item.get("updated") else None
    link.synced_version = version
    link.synced_at = utcnow()
    link.remote_deleted = item.get("status") == "cancelled"
