"""Changing recurring series as Google Calendar offers it: this event, this and following, all.

Plain functions over explicit arguments, like operations.py: they flush, queue every row they
create or change for Google (record_change), and leave the commit to the caller. They may
raise RecurrenceError (or ValueError) after flushing; the caller then rolls back, as with any
failed unit of work, so nothing is half-saved.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from enum import Enum

from portal.calendar.operations import (
    EventData,
    bump_version,
    create_event,
    delete_event,
    update_event,
)
from portal.calendar.queries import exceptions_of
from portal.calendar.recurrence import (
    RecurrenceError,
    occurrence_at,
    original_of,
    original_start,
    produces,
)
from portal.calendar.rule_lines import Original
from portal.calendar.rules import check_rule, occurrences_before, until_before, with_count_reduced
from portal.calendar.timeutil import NonexistentLocalTime, to_local, to_utc
from portal.core.timezones import is_valid_zone
from portal.extensions import db
from portal.google.sync.outbox import record_change
from portal.models import Event, User, utcnow


class Keep(Enum):
    """Where a new rule may be given: leave the series' rule as it is."""

    RULE = "keep"


KEEP = Keep.RULE


def create_series(owner: User, data: EventData, recurrence: str | None) -> Event:
    """A new event repeating by recurrence (RRULE lines; None: a single event); flushes."""
    event = create_event(owner, data)
    if recurrence is None:
        return event
    # EventData does not carry the rule, so it is a second, queued change in the same commit.
    event.recurrence = recurrence
    check_rule(event)
    return _touch(event)


def edit_occurrence(master: Event, original: Original, data: EventData) -> Event:
    """This event: create or update the exception that replaces one occurrence."""
    exception = master.exception_for(original)
    if exception is not None:
        if exception.is_deleted:
            raise RecurrenceError("That occurrence was deleted.")
        return update_event(exception, data)
    _require_occurrence(master, original)
    owner = db.session.get(User, master.owner_id)
    exception = create_event(owner, data)
    _make_exception_of(exception, master, original)
    return _touch(exception)


def delete_occurrence(master: Event, original: Original) -> Event:
    """This event: a tombstoned exception cancels one occurrence (Google hears of it)."""
    exception = master.exception_for(original)
    if exception is not None:
        return exception if exception.is_deleted else delete_event(exception)
    _require_occurrence(master, original)
    occurrence = occurrence_at(master, original)
    now = utcnow()
    tombstone = Event(
        business_id=master.business_id, owner_id=master.owner_id, origin="portal",
        title=master.title, event_type=master.event_type, time_zone=master.time_zone,
        participant_id=master.participant_id, location=master.location, notes=master.notes,
        internal_notes=master.internal_notes, status=master.status, all_day=master.all_day,
        start_at=occurrence.start_at, end_at=occurrence.end_at,
        start_date=occurrence.start_date, end_date=occurrence.end_date,
        deleted_at=now, deleted_by="portal", updated_at=now,
    )  # fmt: skip
    _make_exception_of(tombstone, master, original)
    db.session.add(tombstone)
    db.session.flush()
    record_change(tombstone)
    return tombstone


def edit_series(master: Event, data: EventData, recurrence: str | Keep | None = KEEP) -> Event:
    """All events: update the master (the rule too, if given); exceptions stay.

    Given recurrence=None, the series stops repeating: its exceptions are tombstoned, having
    no occurrence left to replace. This also makes a single event repeat.
    """
    was_series, old_rule = master.is_series, master.recurrence
    rule = old_rule if recurrence is KEEP else recurrence
    # Only a new rule or a new start can break "the start is the first occurrence": a series
    # from Google that never kept to it stays editable.
    changed = rule != old_rule or _start_of(data) != original_start(master)
    master.recurrence = rule
    update_event(master, data)
    if rule and changed:
        check_rule(master)
    if was_series and not rule:
        _tombstone_exceptions(master)
    return master


def split_series(
    master: Event, original: Original, data: EventData, recurrence: str | Keep | None = KEEP
) -> Event:
    """This and following: end the series before original and start a new one there.

    A COUNT (the kept one, or a new one) counts from the old series' first occurrence, so
    both series together have as many occurrences as it says. Exceptions of the old series
    from original on are tombstoned, as Google does. Returns the new master.
    """
    _require_occurrence(master, original)
    if original == original_start(master):
        # From the first occurrence on is the whole series (Google's dialog treats it so).
        return edit_series(master, data, recurrence)
    rule = master.recurrence if recurrence is KEEP else recurrence
    if rule:
        rule = with_count_reduced(rule, occurrences_before(master, original))
    _end_before(master, original)
    owner = db.session.get(User, master.owner_id)
    following = create_series(owner, data, rule)
    # The rest of a series made in Google is still the coordinator's Google series.
    following.origin = master.origin
    return following


def delete_following(master: Event, original: Original) -> Event:
    """This and following, deleted: the series gets an UNTIL just before original."""
    _require_occurrence(master, original)
    if original == original_start(master):
        return delete_series(master)
    _end_before(master, original)
    return master


def delete_series(master: Event) -> Event:
    """All events, deleted: the master and every exception become tombstones."""
    delete_event(master)
    _tombstone_exceptions(master)
    return master


def series_data(master: Event, shown: Original, data: EventData) -> EventData:
    """An edit made on one occurrence, as an edit of the whole series.

    The form showed an occurrence starting at `shown` (its original start, or where its
    exception moved it); the master's own start moves by as much wall-clock time as the
    form's start did, so "all events" never drags the series to one occurrence's day.
    """
    moved_by = _wall_clock(data.start_date if data.all_day else data.start_at, data.time_zone)
    moved_by -= _wall_clock(shown, master.time_zone)
    first = _wall_clock(original_start(master), master.time_zone) + moved_by
    if data.all_day:
        days = data.end_date - data.start_date
        return replace(data, start_date=first.date(), end_date=first.date() + days)
    try:
        start = to_utc(first, data.time_zone)
    except NonexistentLocalTime as error:
        raise RecurrenceError(f"For the whole series: {error}", "start") from error
    return replace(data, start_at=start, end_at=start + (data.end_at - data.start_at))


def _end_before(master: Event, original: Original) -> None:
    """Cut the series just before original; its exceptions from there on are tombstoned."""
    master.recurrence = until_before(master, original)
    _touch(master)
    for exception in exceptions_of([master.id]):
        if not exception.is_deleted and _replaces_from(exception, original):
            delete_event(exception)


def _replaces_from(exception: Event, original: Original) -> bool:
    """Whether an exception replaces the occurrence at original or a later one."""
    replaced = original_of(exception)
    same_kind = isinstance(replaced, datetime) == isinstance(original, datetime)
    return replaced is not None and same_kind and replaced >= original


def _tombstone_exceptions(master: Event) -> None:
    for exception in exceptions_of([master.id]):
        if not exception.is_deleted:
            delete_event(exception)


def _require_occurrence(master: Event, original: Original) -> None:
    if not master.is_series or not produces(master, original):
        raise RecurrenceError("The series has no occurrence at that time.")


def _make_exception_of(event: Event, master: Event, original: Original) -> None:
    event.series_id = master.id
    # An occurrence of a series made in Google was made there: Google keeps owning its text,
    # so "busy only" never renames it to the busy title.
    event.origin = master.origin
    # An exception never carries a rule: Google keeps it on the series only.
    event.recurrence = None
    if isinstance(original, datetime):
        event.original_start_at, event.original_start_date = original, None
    else:
        event.original_start_at, event.original_start_date = None, original


def _touch(event: Event) -> Event:
    """Version, flush and queue a change to fields EventData does not carry."""
    bump_version(event)
    event.updated_at = utcnow()
    db.session.flush()
    record_change(event)
    return event


def _start_of(data: EventData) -> Original | None:
    return data.start_date if data.all_day else data.start_at


def _wall_clock(moment: Original, zone_name: str) -> datetime:
    """A start as a naive wall-clock time where it happens (midnight for a date)."""
    if isinstance(moment, datetime):
        return to_local(moment, zone_name if is_valid_zone(zone_name) else "UTC").replace(
            tzinfo=None
        )
    return datetime.combine(moment, time())
