"""Looking up the links between portal events and their Google copies."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.google.mapping import parse_rfc3339
from portal.models import EventLink, utcnow


def link_for_event(connection_id: int, event_id: int) -> EventLink | None:
    """The link of a portal event on this connection, if it has been synced."""
    return db.session.scalar(
        select(EventLink).where(
            EventLink.connection_id == connection_id, EventLink.event_id == event_id
        )
    )


def link_for_google_id(connection_id: int, google_event_id: str) -> EventLink | None:
    """The link of a Google event id on this connection, if we know it."""
    return db.session.scalar(
        select(EventLink).where(
            EventLink.connection_id == connection_id,
            EventLink.google_event_id == google_event_id,
        )
    )


def remember(link: EventLink, item: dict, version: int) -> None:
    """Store what Google holds now: its etag and `updated`, and the portal version it matches."""
    link.etag = item.get("etag")
    link.google_updated = parse_rfc3339(item["updated"]) if item.get("updated") else None
    link.synced_version = version
    link.synced_at = utcnow()
    link.remote_deleted = item.get("status") == "cancelled"
