"""Reading the calendar: the events a coordinator sees in a week, and a cheap fingerprint of them.

Both start from one filter (`_in_week`; the grid leaves out declined invitations, which the
week lists apart), so the fingerprint changes exactly when the week's content can have changed.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlalchemy import BigInteger, ColumnElement, and_, cast, func, not_, or_, select
from sqlalchemy.orm import aliased, defer, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from portal.calendar.recurrence import Occurrence, Window, expand
from portal.calendar.timeutil import start_of_day
from portal.extensions import db
from portal.models import Event, Participant

# A declined invitation is not an appointment: the week lists it apart, to be answered again.
_DECLINED = func.coalesce(Event.response_status, "") == "declined"


def _shown_in_week(
    owner_id: int, monday: date, zone_name: str, days: int = 7
) -> ColumnElement[bool]:
    """The owner's live events overlapping the days shown, but declined invitations."""
    return and_(_in_week(owner_id, monday, zone_name, days), not_(_DECLINED))


def _in_week(owner_id: int, monday: date, zone_name: str, days: int = 7) -> ColumnElement[bool]:
    """The owner's live events overlapping the days (a week) from monday in zone_name."""
    next_monday = monday + timedelta(days=days)
    week_start, week_end = start_of_day(monday, zone_name), start_of_day(next_monday, zone_name)
    timed = and_(
        not_(Event.all_day),
        Event.start_at < week_end,
        # Zero-length events (Google allows them) at the very start of the week still count.
        or_(Event.end_at > week_start, Event.start_at >= week_start),
    )
    # All-day events are dates, not instants: the viewer's zone does not move them.
    all_day = and_(Event.all_day, Event.start_date < next_monday, Event.end_date > monday)
    return and_(
        Event.owner_id == owner_id,
        Event.deleted_at.is_(None),
        # Deleted in Google is kept as a record but never shown, even if only partly applied.
        or_(Event.deleted_by.is_(None), Event.deleted_by != "google"),
        or_(timed, all_day),
    )


# What the week draws of its events: their participant, but not their notes, which can be pages
# long and are shown only in the event's form. Reading them here by mistake raises.
_AS_DRAWN = (
    selectinload(Event.participant),
    defer(Event.notes, raiseload=True),
    defer(Event.internal_notes, raiseload=True),
)


def visible_events_in_week(
    owner_id: int, monday: date, zone_name: str, days: int = 7
) -> list[Event]:
    """The owner's live single events overlapping the days (a week) from monday in zone_name."""
    stmt = (
        select(Event)
        .options(*_AS_DRAWN)
        .where(_shown_in_week(owner_id, monday, zone_name, days))
        # Series masters and their exceptions are shown by series_in_week, occurrence by
        # occurrence.
        .where(Event.series_id.is_(None), or_(Event.recurrence.is_(None), Event.recurrence == ""))
        .order_by(Event.all_day.desc(), Event.start_date, Event.start_at, Event.id)
    )
    return list(db.session.scalars(stmt))


def series_in_week(owner_id: int, monday: date, zone_name: str, days: int = 7) -> list[Occurrence]:
    """The occurrences of the owner's series in the week: one query for masters, one for exceptions.

    Every live master that starts before the week ends is loaded (a coordinator has few);
    expansion then decides, from its rule, whether it reaches the week.
    """
    window = week_window(monday, zone_name, days)
    starts_in_time = or_(
        and_(not_(Event.all_day), Event.start_at < window.end_at),
        and_(Event.all_day, Event.start_date < window.end_day),
    )
    stmt = (
        select(Event)
        .options(*_AS_DRAWN)
        .where(
            Event.owner_id == owner_id,
            Event.series_id.is_(None),
            Event.recurrence.is_not(None),
            Event.recurrence != "",
            Event.deleted_at.is_(None),
            or_(Event.deleted_by.is_(None), Event.deleted_by != "google"),
            not_(_DECLINED),
            starts_in_time,
        )
        .order_by(Event.id)
    )
    masters = list(db.session.scalars(stmt))
    exceptions: dict[int, list[Event]] = {master.id: [] for master in masters}
    for exception in exceptions_of(list(exceptions), *_AS_DRAWN):
        exceptions[exception.series_id].append(exception)
    return [
        occurrence
        for master in masters
        for occurrence in expand(master, exceptions[master.id], window)
    ]


def declined_in_week(owner_id: int, monday: date, zone_name: str, days: int = 7) -> list[Event]:
    """The invitations the owner declined that fall in the days shown (a series: once, by name)."""
    window = week_window(monday, zone_name, days)
    series_reaching = and_(
        Event.recurrence.is_not(None),
        or_(Event.start_at < window.end_at, Event.start_date < window.end_day),
    )
    stmt = (
        select(Event)
        .options(*_AS_DRAWN)
        .where(
            Event.owner_id == owner_id,
            Event.deleted_at.is_(None),
            Event.series_id.is_(None),
            _DECLINED,
            or_(_in_week(owner_id, monday, zone_name, days), series_reaching),
        )
        .order_by(Event.start_date, Event.start_at, Event.id)
    )
    return list(db.session.scalars(stmt))


def week_window(monday: date, zone_name: str, days: int = 7) -> Window:
    """The days (a week) from monday in zone_name: UTC instants, and dates for all-day events."""
    next_monday = monday + timedelta(days=days)
    return Window(
        start_of_day(monday, zone_name), start_of_day(next_monday, zone_name), monday, next_monday
    )


def exceptions_of(master_ids: list[int], *options: ORMOption) -> list[Event]:
    """Every exception of these series, tombstones included (a tombstone cancels its occurrence).

    Loaded whole with their participants unless other loader options are given.
    """
    if not master_ids:
        return []
    stmt = (
        select(Event)
        .options(*(options or (selectinload(Event.participant),)))
        .where(Event.series_id.in_(master_ids))
        .order_by(Event.id)
    )
    return list(db.session.scalars(stmt))


def week_fingerprint(owner_id: int, monday: date, zone_name: str, days: int = 7) -> str:
    """A short opaque value that changes whenever what the week shows may have changed.

    One aggregate query, no rows loaded. Every change to an event bumps its version (the
    portal's edits, Google's changes, tombstones), so the sums move; the id sums catch one
    event leaving the week while another enters it; participants are shown by name, so a
    renamed participant counts too. The week (its first day and length) and zone are part of
    it, so a poller that still holds another view's value always sees a difference.
    """
    version = cast(Event.version, BigInteger)
    stmt = (
        select(
            func.count(Event.id),
            func.coalesce(func.sum(cast(Event.id, BigInteger)), 0),
            func.coalesce(func.sum(version), 0),
            func.coalesce(func.sum(cast(Event.id, BigInteger) * version), 0),
            func.max(Event.updated_at),
            func.max(Participant.updated_at),
        )
        .select_from(Event)
        .outerjoin(Participant, Participant.id == Event.participant_id)
        .where(_may_show_in_week(owner_id, monday, zone_name, days))
    )
    row = db.session.execute(stmt).one()
    shown = monday.isoformat() if days == 7 else f"{monday.isoformat()}+{days}"
    facts = "|".join(str(value) for value in (shown, zone_name, *row))
    return hashlib.blake2s(facts.encode(), digest_size=8).hexdigest()


# Built once: SQLAlchemy adapts an alias's columns on first use and keeps them, so a new alias
# per call cost the live-update poll (every open calendar, every second) ~4 ms of Python.
_MASTER = aliased(Event, name="master")


def _may_show_in_week(
    owner_id: int, monday: date, zone_name: str, days: int = 7
) -> ColumnElement[bool]:
    """Every row the week is drawn from: its own events, and any series that may reach it.

    Series are taken generously (every series starting before the week ends, with all its
    exceptions, tombstones included: a tombstone cancels an occurrence); a change to one may
    cost a needless reload, never a missed one.
    """
    window = week_window(monday, zone_name, days)
    master = _MASTER
    masters = select(master.id).where(
        master.owner_id == owner_id,
        master.series_id.is_(None),
        master.recurrence.is_not(None),
        master.recurrence != "",
        or_(
            and_(not_(master.all_day), master.start_at < window.end_at),
            and_(master.all_day, master.start_date < window.end_day),
        ),
    )
    return or_(
        # Declined invitations too: the week lists them apart.
        _in_week(owner_id, monday, zone_name, days),
        Event.id.in_(masters),
        Event.series_id.in_(masters),
    )
