"""Recurring series: rules from the form's choices and back, and the occurrences in a window.

A series is a master Event whose `recurrence` holds RRULE/EXRULE/RDATE/EXDATE lines exactly as
Google writes them, joined by newlines and without DTSTART: the master's own start, in its own
zone, is DTSTART and the first occurrence. Exceptions (moved, edited or cancelled occurrences)
are Event rows pointing at the master by series_id and original_start_at/original_start_date.
The recurrence arithmetic is python-dateutil's; this module prepares its input and reads its
output.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import rrulebase, rrulestr

from portal.calendar.timeutil import MAX_YEAR, MIN_YEAR, start_of_day
from portal.core.timezones import is_valid_zone, zone
from portal.models import Event

log = logging.getLogger(__name__)

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_COUNT = 730
# Occurrences looked at per question: a century of daily ones. A rule needing more (minutely,
# say, from Google) stops there rather than stalling a request.
MAX_STEPS = 40_000
UTC_BASIC = "%Y%m%dT%H%M%SZ"
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_RULE_KEYS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT", "WKST"}
_BROKEN = (ValueError, TypeError, OverflowError)

Original = datetime | date


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


# From the form's choices to a rule, and back


def build_rule(repeat: Repeat, first_day: date, all_day: bool, zone_name: str) -> str | None:
    """The RRULE line for these choices, as Google writes it; None for a single event."""
    if repeat.frequency == "none":
        return None
    weekday = WEEKDAYS[first_day.weekday()]
    days = ",".join(WEEKDAYS[d] for d in sorted(set(repeat.weekdays or [first_day.weekday()])))
    parts = {
        "daily": ["FREQ=DAILY"],
        "weekly": ["FREQ=WEEKLY", f"BYDAY={days}"],
        "fortnightly": ["FREQ=WEEKLY", "INTERVAL=2", f"BYDAY={days}"],
        "monthly_date": ["FREQ=MONTHLY", f"BYMONTHDAY={first_day.day}"],
        "monthly_weekday": ["FREQ=MONTHLY", f"BYDAY={week_of_month(first_day)}{weekday}"],
        "monthly_last": ["FREQ=MONTHLY", f"BYDAY=-1{weekday}"],
    }[repeat.frequency]
    if repeat.ends == "until" and repeat.until is not None:
        last = repeat.until
        parts.append(f"UNTIL={last:%Y%m%d}" if all_day else f"UNTIL={_day_end(last, zone_name)}")
    elif repeat.ends == "count" and repeat.count is not None:
        parts.append(f"COUNT={repeat.count}")
    return "RRULE:" + ";".join(parts)


def week_of_month(day: date) -> int:
    """Which of its month's Tuesdays (say) a Tuesday is: 1 to 5."""
    return (day.day - 1) // 7 + 1


def is_last_of_its_kind(day: date) -> bool:
    """Whether no later day of the same weekday falls in its month (a "last Friday")."""
    return (day + timedelta(days=7)).month != day.month


def with_exclusions(rule: str | None, previous: str | None) -> str | None:
    """A new RRULE plus the EXDATE lines of the rule it replaces, so exclusions survive edits."""
    if rule is None:
        return None
    return "\n".join([rule, *(line for line in _lines(previous) if _name(line) == "EXDATE")])


def parse_rule(master: Event) -> Repeat | None:
    """The form's choices for a series' rule; Repeat() if none, None if the form cannot say it."""
    lines = _lines(master.recurrence)
    if not lines:
        return Repeat()
    rules = [line for line in lines if _name(line) == "RRULE"]
    if len(rules) != 1 or any(_name(line) not in ("RRULE", "EXDATE") for line in lines):
        return None
    parts = _parts(rules[0])
    values = dict(parts)
    if len(values) != len(parts) or not set(values) <= _RULE_KEYS:
        return None
    if values.get("WKST", "MO") != "MO":  # the week start changes what a fortnight is
        return None
    try:
        shape = _shape(values, first_day_of(master))
        ending = _ending(values, master, rules[0])
    except _BROKEN:
        return None
    if shape is None or ending is None:
        return None
    return Repeat(shape[0], shape[1], *ending)


def _shape(values: dict[str, str], first: date) -> tuple[str, tuple[int, ...]] | None:
    """Frequency and weekdays of a rule the form can show, or None."""
    freq, interval = values.get("FREQ"), int(values.get("INTERVAL", "1"))
    matches = [_BYDAY.match(item) for item in values.get("BYDAY", "").split(",") if item]
    if not all(matches):
        return None
    byday = [(match.group(1), WEEKDAYS.index(match.group(2))) for match in matches]
    weekday, month_day = first.weekday(), values.get("BYMONTHDAY")
    if freq == "DAILY" and interval == 1 and not byday and month_day is None:
        return "daily", ()
    if freq == "WEEKLY" and interval in (1, 2) and month_day is None:
        days = tuple(sorted({day for number, day in byday if number is None}))
        if len(days) != len(byday) or (days and weekday not in days):
            return None
        return ("weekly" if interval == 1 else "fortnightly"), days or (weekday,)
    if freq != "MONTHLY" or interval != 1:
        return None
    if not byday and month_day in (None, str(first.day)):
        return "monthly_date", ()
    if month_day is None and byday == [(str(week_of_month(first)), weekday)]:
        return "monthly_weekday", ()
    if month_day is None and byday == [("-1", weekday)] and is_last_of_its_kind(first):
        return "monthly_last", ()
    return None


def _ending(values: dict[str, str], master: Event, line: str) -> tuple | None:
    """(ends, until, count) as the form says them, or None when it cannot."""
    if "COUNT" in values and "UNTIL" in values:
        return None
    if "COUNT" in values:
        count = int(values["COUNT"])
        return ("count", None, count) if 1 <= count <= MAX_COUNT else None
    if "UNTIL" not in values:
        return "never", None, None
    # The last occurrence's day rather than UNTIL's: a series cut just before an occurrence
    # ends earlier on that same day, and "ends on" that day must not bring it back.
    last = max(_originals(_rule_of(master, [line]), master), default=None)
    return "until", first_day_of(master) if last is None else day_of(last, master), None


# Changing rules: "this and following", "delete following"


def until_before(master: Event, original: Original) -> str:
    """The master's rule ending just before one of its occurrences (a COUNT becomes an UNTIL)."""
    if isinstance(original, datetime):
        until = (original.astimezone(UTC) - timedelta(seconds=1)).strftime(UTC_BASIC)
    else:
        until = f"{original - timedelta(days=1):%Y%m%d}"
    lines = []
    for line in _lines(master.recurrence):
        if _name(line) == "RRULE":
            earlier = [v for k, v in _parts(_normalised(line, master)) if k == "UNTIL"]
            kept = [(k, v) for k, v in _parts(line) if k not in ("COUNT", "UNTIL")]
            line = "RRULE:" + _join([*kept, ("UNTIL", min([until, *earlier]))])
        lines.append(line)
    return "\n".join(lines)


def occurrences_before(master: Event, original: Original) -> int:
    """How many occurrences of the master's (first) RRULE come before one of its occurrences."""
    rules = [line for line in _lines(master.recurrence) if _name(line) == "RRULE"]
    if not rules:
        return 0
    earlier = _originals(_rule_of(master, rules[:1]), master, stop=original)
    return sum(1 for start in earlier if start < original)


def with_count_reduced(recurrence: str, used: int) -> str:
    """A rule whose COUNT included `used` earlier occurrences, for the rest of the series."""
    lines = []
    for line in _lines(recurrence):
        parts = _parts(line) if _name(line) == "RRULE" else []
        if "COUNT" in dict(parts):
            remaining = int(dict(parts)["COUNT"]) - used
            if remaining < 1:
                message = f"The series already has {used} occurrences before this one."
                raise RecurrenceError(message, "count")
            line = "RRULE:" + _join([(k, str(remaining) if k == "COUNT" else v) for k, v in parts])
        lines.append(line)
    return "\n".join(lines)


def check_rule(master: Event) -> None:
    """RecurrenceError unless the rule can be expanded and its first occurrence is the start."""
    try:
        first = next(_originals(_rule_of(master), master), None)
    except _BROKEN as error:
        raise RecurrenceError(f"This repeat rule cannot be used ({error}).") from error
    if first != original_start(master):
        raise RecurrenceError(
            "The event's own start must be the first occurrence: include its day in the "
            "repeat, or move the start."
        )


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
        return list(_originals(_rule_of(master), master, stop))
    except _BROKEN as error:
        # A rule we cannot read (from Google, say) still shows its first occurrence.
        log.warning("cannot expand the recurrence of event %s: %s", master.id, error)
        return [original_start(master)]


def _originals(rule: rrulebase, master: Event, stop: Original | None = None) -> Iterator[Original]:
    """The rule's starts in order as original starts, up to stop, within MAX_STEPS."""
    for step, start in enumerate(rule):
        original = start.date() if master.all_day else start.astimezone(UTC)
        if step >= MAX_STEPS or (stop is not None and original > stop):
            return
        yield original


def _rule_of(master: Event, lines: list[str] | None = None) -> rrulebase:
    """dateutil's rule set for the master's lines (or some of them), DTSTART its own start."""
    chosen = _lines(master.recurrence) if lines is None else lines
    text = "\n".join(_normalised(line, master) for line in chosen)
    return rrulestr(text, dtstart=_dtstart(master), forceset=True)


def _dtstart(event: Event) -> datetime:
    # Aware in the event's own zone, so every occurrence keeps its wall-clock time across
    # daylight saving; all-day series expand on naive midnights, that is on dates.
    if event.all_day:
        return datetime.combine(event.start_date, time())
    return event.start_at.astimezone(zone(_zone_name(event)))


def _zone_name(event: Event) -> str:
    """The event's zone, or UTC for a zone this machine does not know (from Google, say)."""
    return event.time_zone if is_valid_zone(event.time_zone) else "UTC"


def day_of(original: Original, event: Event) -> date:
    """The day an original start falls on, in the event's own zone."""
    if isinstance(original, datetime):
        return original.astimezone(zone(_zone_name(event))).date()
    return original


def _day_end(day: date, zone_name: str) -> str:
    """The last second of a local day, in UTC: how Google writes UNTIL for timed series."""
    end = start_of_day(day + timedelta(days=1), zone_name) - timedelta(seconds=1)
    return end.strftime(UTC_BASIC)


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


# Reading and writing rule lines


def _lines(recurrence: str | None) -> list[str]:
    return [line.strip() for line in (recurrence or "").splitlines() if line.strip()]


def _name(line: str) -> str:
    return line.split(":", 1)[0].split(";", 1)[0].upper()


def _parts(line: str) -> list[tuple[str, str]]:
    """The KEY=value parts of an RRULE line, in order."""
    value = line.split(":", 1)[1] if ":" in line else line
    pairs = (part.partition("=") for part in value.split(";") if part)
    return [(key.strip().upper(), item.strip()) for key, _sep, item in pairs]


def _join(parts: list[tuple[str, str]]) -> str:
    return ";".join(f"{key}={value}" for key, value in parts)


def _normalised(line: str, master: Event) -> str:
    """A line as dateutil needs it for this master; Google's own lines pass unchanged."""
    name = _name(line)
    if name in ("RRULE", "EXRULE"):
        parts = [(k, _until_for(v, master) if k == "UNTIL" else v) for k, v in _parts(line)]
        return f"{name}:{_join(parts)}"
    if name not in ("RDATE", "EXDATE"):
        return line
    head, _sep, value = line.partition(":")
    params = [p for p in head.split(";")[1:] if not p.upper().startswith("VALUE=")]
    if master.all_day:
        # Dates are compared with naive midnights (dateutil knows no VALUE=DATE for RDATE).
        return f"{name}:" + ",".join(item.strip()[:8] for item in value.split(","))
    if "Z" not in value.upper() and not any(p.upper().startswith("TZID=") for p in params):
        params.append(f"TZID={_zone_name(master)}")  # a floating time is the event's zone's
    return ";".join([name, *params]) + ":" + value


def _until_for(value: str, master: Event) -> str:
    """UNTIL in the form dateutil accepts next to this master's DTSTART."""
    if master.all_day:
        return value[:8]
    if value.upper().endswith("Z"):
        return value
    if len(value) == 8:  # a bare date on a timed series: through the end of that day
        return _day_end(datetime.strptime(value, "%Y%m%d").date(), _zone_name(master))
    local = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone(_zone_name(master)))
    return local.astimezone(UTC).strftime(UTC_BASIC)
