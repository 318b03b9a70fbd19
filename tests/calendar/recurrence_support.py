"""Repeating events for the calendar's route tests: a weekly series, its URLs, its form."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import Event
from tests import factories
from tests.calendar.test_event_routes import event_form

WEEK = "/calendar?week=2026-10-07"  # Monday 5 – Sunday 11 October 2026
MONDAY_NINE = datetime(2026, 10, 4, 22, tzinfo=UTC)  # Monday 5 October, 9:00 Sydney
WEEKLY = "RRULE:FREQ=WEEKLY;BYDAY=MO"


def weekly(owner, title: str = "Weekly check-in", start: datetime = MONDAY_NINE, **fields):
    """A weekly series on Mondays, 9:00–10:00 Sydney from 5 October 2026 unless told."""
    fields.setdefault("recurrence", WEEKLY)
    event = factories.make_event(owner, title, start, time_zone="Australia/Sydney", **fields)
    db.session.commit()
    return event


def occurrence_url(master: Event, start: datetime, action: str = "") -> str:
    """The address of one occurrence of a series, or of an action on it."""
    return f"/calendar/events/{master.id}/occurrences/{start:%Y%m%dT%H%M%SZ}{action}"


def series_form(**changes) -> dict[str, str]:
    """The event form for Monday 5 October 9:00 Sydney, repeating weekly unless told."""
    return event_form(**{"repeat": "weekly", "weekdays": "MO", "ends": "never", **changes})


def events() -> list[Event]:
    """Every stored event, read afresh."""
    db.session.expire_all()
    return list(db.session.scalars(select(Event).order_by(Event.id)))


def stored_rule() -> str:
    """The recurrence of the one stored event."""
    [event] = events()
    return event.recurrence
