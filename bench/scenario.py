"""What the benchmarks do on each side: Google users editing, coordinators editing, lookups."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from google_emulator.state import EmulatorState

if TYPE_CHECKING:
    pass

START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)


def google_body(n: int, title: str | None = None, start: datetime = START) -> dict:
    """A timed one-hour Google event, the n-th hour after start."""
    begins = start + timedelta(hours=n)
    return {
        "summary": title or f"Google event {n}",
        "start": {"dateTime": _rfc3339(begins), "timeZone": "Australia/Sydney"},
        "end": {"dateTime": _rfc3339(begins + timedelta(hours=1)), "timeZone": "Australia/Sydney"},
    }


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def seed_google(state: EmulatorState, calendar_id: str, count: int, first: int = 0) -> list[str]:
    """Insert count events as the Google user would; returns their Google ids."""
    return [
        state.user_insert_event(calendar_id, google_body(n))["id"]
        for n in range(first, first + count)
    ]


def portal_create(user_id: int, title: str, hour: int) -> int:
    """Create an event as the coordinator does (operations + commit + outbox kick)."""
    from portal.calendar.operations import EventData, create_event
    from portal.extensions import db
    from portal.google.worker.enqueue import kick
    from portal.models import User

    owner = db.session.get(User, user_id)
    begins = START + timedelta(hours=hour)
    data = EventData(
        title=title,
        time_zone="Australia/Sydney",
        start_at=begins,
        end_at=begins + timedelta(hours=1),
    )
    event = create_event(owner, data)
    db.session.commit()
    kick(user_id)
    return event.id


def portal_edit(event_id: int, **changes: object) -> None:
    """Change an event as the coordinator does (operations + commit + outbox kick)."""
    from portal.calendar.operations import EventData, update_event
    from portal.extensions import db
    from portal.google.worker.enqueue import kick
    from portal.models import Event

    event = db.session.get(Event, event_id)
    update_event(event, dataclasses.replace(EventData.of(event), **changes))
    db.session.commit()
    kick(event.owner_id)


def google_id_of(event_id: int) -> str | None:
    """The Google id the portal linked this event to."""
    from portal.extensions import db
    from portal.models import EventLink

    db.session.rollback()
    return db.session.scalar(
        select(EventLink.google_event_id).where(EventLink.event_id == event_id)
    )


def event_id_of(google_id: str) -> int | None:
    """The portal event linked to this Google id."""
    from portal.extensions import db
    from portal.models import EventLink

    db.session.rollback()
    stmt = select(EventLink.event_id).where(EventLink.google_event_id == google_id)
    return db.session.scalar(stmt)


def live_event_count(user_id: int) -> int:
    """The coordinator's events that are not tombstoned."""
    from portal.extensions import db
    from portal.models import Event

    db.session.rollback()
    stmt = select(func.count(Event.id)).where(Event.owner_id == user_id, Event.deleted_at.is_(None))
    return db.session.scalar(stmt)


class TitleProbe:
    """Reads one event's title with a bare autocommit connection: cheap enough to poll."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self.conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)

    def title(self, event_id: int) -> str | None:
        """The event's title as committed right now."""
        row = self.conn.execute("SELECT title FROM event WHERE id = %s", (event_id,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
