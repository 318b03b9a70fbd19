"""Reading the calendar: the events a coordinator sees in a week, in one query."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import selectinload

from portal.calendar.timeutil import start_of_day
from portal.extensions import db
from portal.models import Event


def visible_events_in_week(owner_id: int, monday: date, zone_name: str) -> list[Event]:
    """The owner's live events overlapping the week that starts on monday in zone_name."""
    next_monday = monday + timedelta(days=7)
    week_start, week_end = start_of_day(monday, zone_name), start_of_day(next_monday, zone_name)
    timed = and_(
        not_(Event.all_day),
        Event.start_at < week_end,
        # Zero-length events (Google allows them) at the very start of the week still count.
        or_(Event.end_at > week_start, Event.start_at >= week_start),
    )
    # All-day events are dates, not instants: the viewer's zone does not move them.
    all_day = and_(Event.all_day, Event.start_date < next_monday, Event.end_date > monday)
    stmt = (
        select(Event)
        .options(selectinload(Event.participant))
        .where(
            Event.owner_id == owner_id,
            Event.deleted_at.is_(None),
            # Deleted in Google is kept as a record but never shown, even if only partly applied.
            or_(Event.deleted_by.is_(None), Event.deleted_by != "google"),
            or_(timed, all_day),
        )
        .order_by(Event.all_day.desc(), Event.start_date, Event.start_at, Event.id)
    )
    return list(db.session.scalars(stmt))
