"""Recurring series: what an occurrence is, how it is named, and the occurrences in a window.

A series is a master Event whose `recurrence` holds RRULE/EXRULE/RDATE/EXDATE lines exactly as
Google writes them, joined by newlines and without DTSTART: the master's own start, in its own
zone, is DTSTART and the first occurrence. Exceptions (moved, edited or cancelled occurrences)
are Event rows pointing at the master by series_id and original_start_at/original_start_date.
The recurrence arithmetic is python-dateutil's (rule_lines.py prepares its input and reads its
output); rules.py turns the form's choices into rules and back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from portal.calendar.rule_lines import BROKEN, UTC_BASIC, Original, day_of, originals, rule_set
from portal.calendar.timeutil import MAX_YEAR, MIN_YEAR
from portal.models import Event

log = logging.getLogger(__name__)


class RecurrenceError(ValueError):
    """A series that cannot be written as asked; `field` names the form input to blame."""

    def __init__(self, message: str, field: str = "repeat") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Repeat:
    """How a series repeats, in the terms the form offers."""

    # none, daily, weekly, fortnightly, monthly_date, monthly_weekday or monthly_last
    frequency: str = "none"
    weekdays: tuple[int, ...] = ()  # 0 is Monday
    ends: str = "never"
    until: date | None = None  # the last day, inclusive, in the event's own zone
    count: int | None = None


@dataclass(frozen=True)
class Window:
    """The stretch of calendar being shown: instants for timed events, dates for all-day ones."""

    start_at: datetime
    end_at: datetime
    first_day: date
    end_day: date  # exclusive


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a series as the calendar shows it.

    All but the times reads through to `event` (the master, or the exception that replaces
    this occurrence), so the week layout and the templates can treat it as an event.
    """

    event: Event
    master_id: int
    original: Original
    start_at: datetime | None = None
    end_at: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None

    @property
    def key(self) -> str:
        """How URLs (and Google's instance ids) name this occurrence: its original start."""
        return occurrence_key(self.original)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.event, name)


# Naming occurrences


def occurrence_key(original: Original) -> str:
    """20261130T220000Z for a timed occurrence (its UTC start), 20261130 for an all-day one."""
    if isinstance(original, datetime):
        return original.astimezone(UTC).strftime(UTC_BASIC)
    return original.strftime("%Y%m%d")


def parse_occurrence_key(key: str) -> Original:
    """The original start an occurrence key names; ValueError for anything else."""
    if len(key) == 16 and key.endswith("Z"):
        parsed: Original = datetime.strptime(key, UTC_BASIC).replace(tzinfo=UTC)
    elif len(key) == 8 and key.isdigit():
        parsed = datetime.strptime(key, "%Y%m%d").date()
    else:
        raise ValueError(f"not an occurrence key: {key!r}")
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"occurrence out of range: {key!r}")
    return parsed


def original_of(exception: Event) -> Original | None:
    """The original start of the occurrence an exception replaces."""
    if exception.original_start_at is not None:
        return exception.original_start_at.astimezone(UTC)
    return exception.original_start_date


def original_start(event: Event) -> Original:
    """An event's own start as an original start: a UTC instant, or a date if all-day."""
    return event.start_date if event.all_day else event.start_at.astimezone(UTC)


def first_day_of(event: Event) -> date:
    """The first day of an event, in its own zone."""
    return day_of(original_start(event), event)


# Expansion


def expand(master: Event, exceptions: Iterable[Event], window: Window) -> list[Occurrence]:
    """The series in a window: the rule's occurrences, less those replaced, plus live exceptions.

    As in Google, an exception shows only while the rule still has the occurrence it replaces:
    one left outside a series cut short or re-ruled (on either side) is kept, not shown.
    """
    exceptions = list(exceptions)
    replaced = {original_of(exception) for exception in exceptions}
    live = [
        exception
        for exception in exceptions
        if _is_live(exception) and _same_kind(original_of(exception), master)
    ]
    stop = window.end_day if master.all_day else window.end_at
    # Far enough for an exception moved into the window from a later occurrence.
    originals = _originals_until(master, max([stop, *(original_of(e) for e in live)]))
    produced = set(originals)
    shown = [
        _from_exception(exception, master.id)
        for exception in live
        if original_of(exception) in produced
    ]
    shown = [occurrence for occurrence in shown if _overlaps(occurrence, window)]
    for original in originals:
        if original > stop:
            break
        occurrence = occurrence_at(master, original)
        if original not in replaced and _overlaps(occurrence, window):
            shown.append(occurrence)
    return shown


def occurrence_at(master: Event, original: Original) -> Occurrence:
    """The occurrence of a series starting at original, as the rule alone has it."""
    if isinstance(original, datetime):
        duration = master.end_at - master.start_at
        return Occurrence(master, master.id, original, original, original + duration)
    days = master.end_date - master.start_date
    return Occurrence(master, master.id, original, start_date=original, end_date=original + days)


def produces(master: Event, original: Original) -> bool:
    """Whether the master's rule has an occurrence starting at original."""
    return _same_kind(original, master) and original in _originals_until(master, original)


def _same_kind(original: Original | None, master: Event) -> bool:
    """Whether an original start is a date for an all-day series, an instant for a timed one."""
    return original is not None and isinstance(original, datetime) != master.all_day


def _originals_until(master: Event, stop: Original) -> list[Original]:
    """The series' original starts up to stop; just its own start if the rule is unreadable."""
    try:
        return list(originals(rule_set(master), master, stop))
    except BROKEN as error:
        # A rule we cannot read (from Google, say) still shows its first occurrence.
        log.warning("cannot expand the recurrence of event %s: %s", master.id, error)
        return [original_start(master)]


def _overlaps(item: Occurrence, window: Window) -> bool:
    """The week query's rule: overlapping, or zero-length at the very start of the window."""
    if item.all_day:
        return item.start_date < window.end_day and item.end_date > window.first_day
    return item.start_at < window.end_at and (
        item.end_at > window.start_at or item.start_at >= window.start_at
    )


def _is_live(exception: Event) -> bool:
    # "Deleted in Google" but only partly applied still means gone (as in the week query).
    return exception.deleted_at is None and exception.deleted_by != "google"


def _from_exception(exception: Event, master_id: int) -> Occurrence:
    return Occurrence(
        exception, master_id, original_of(exception),
        exception.start_at, exception.end_at, exception.start_date, exception.end_date,
    )  # fmt: skip
