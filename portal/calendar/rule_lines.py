"""Rule lines as Google writes them (RRULE, EXRULE, RDATE, EXDATE), and dateutil's reading of
them for one series: the occurrences' original starts, in order, within MAX_STEPS.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import rrulebase, rrulestr

from portal.calendar.timeutil import start_of_day
from portal.core.timezones import is_valid_zone, zone
from portal.models import Event

# Occurrences looked at per question: a century of daily ones. A rule needing more (minutely,
# say, from Google) stops there rather than stalling a request.
MAX_STEPS = 40_000
UTC_BASIC = "%Y%m%dT%H%M%SZ"
# What a rule dateutil cannot read raises.
BROKEN = (ValueError, TypeError, OverflowError)

Original = datetime | date


# Reading and writing rule lines


def lines_of(recurrence: str | None) -> list[str]:
    return [line.strip() for line in (recurrence or "").splitlines() if line.strip()]


def name_of(line: str) -> str:
    return line.split(":", 1)[0].split(";", 1)[0].upper()


def parts_of(line: str) -> list[tuple[str, str]]:
    """The KEY=value parts of an RRULE line, in order."""
    value = line.split(":", 1)[1] if ":" in line else line
    pairs = (part.partition("=") for part in value.split(";") if part)
    return [(key.strip().upper(), item.strip()) for key, _sep, item in pairs]


def join_parts(parts: list[tuple[str, str]]) -> str:
    return ";".join(f"{key}={value}" for key, value in parts)


def normalised(line: str, master: Event) -> str:
    """A line as dateutil needs it for this master; Google's own lines pass unchanged."""
    name = name_of(line)
    if name in ("RRULE", "EXRULE"):
        parts = [(k, _until_for(v, master) if k == "UNTIL" else v) for k, v in parts_of(line)]
        return f"{name}:{join_parts(parts)}"
    if name not in ("RDATE", "EXDATE"):
        return line
    head, _sep, value = line.partition(":")
    params = [p for p in head.split(";")[1:] if not p.upper().startswith("VALUE=")]
    if master.all_day:
        # Dates are compared with naive midnights (dateutil knows no VALUE=DATE for RDATE).
        return f"{name}:" + ",".join(item.strip()[:8] for item in value.split(","))
    if "Z" not in value.upper() and not any(p.upper().startswith("TZID=") for p in params):
        params.append(f"TZID={zone_name(master)}")  # a floating time is the event's zone's
    return ";".join([name, *params]) + ":" + value


def _until_for(value: str, master: Event) -> str:
    """UNTIL in the form dateutil accepts next to this master's DTSTART."""
    if master.all_day:
        return value[:8]
    if value.upper().endswith("Z"):
        return value
    if len(value) == 8:  # a bare date on a timed series: through the end of that day
        return day_end(datetime.strptime(value, "%Y%m%d").date(), zone_name(master))
    local = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=zone(zone_name(master)))
    return local.astimezone(UTC).strftime(UTC_BASIC)


# dateutil's reading


def rule_set(master: Event, lines: list[str] | None = None) -> rrulebase:
    """dateutil's rule set for the master's lines (or some of them), DTSTART its own start."""
    chosen = lines_of(master.recurrence) if lines is None else lines
    text = "\n".join(normalised(line, master) for line in chosen)
    return rrulestr(text, dtstart=_dtstart(master), forceset=True)


def _dtstart(event: Event) -> datetime:
    # Aware in the event's own zone, so every occurrence keeps its wall-clock time across
    # daylight saving; all-day series expand on naive midnights, that is on dates.
    if event.all_day:
        return datetime.combine(event.start_date, time())
    return event.start_at.astimezone(zone(zone_name(event)))


def zone_name(event: Event) -> str:
    """The event's zone, or UTC for a zone this machine does not know (from Google, say)."""
    return event.time_zone if is_valid_zone(event.time_zone) else "UTC"


def day_of(original: Original, event: Event) -> date:
    """The day an original start falls on, in the event's own zone."""
    if isinstance(original, datetime):
        return original.astimezone(zone(zone_name(event))).date()
    return original


def day_end(day: date, zone_name: str) -> str:
    """The last second of a local day, in UTC: how Google writes UNTIL for timed series."""
    end = start_of_day(day + timedelta(days=1), zone_name) - timedelta(seconds=1)
    return end.strftime(UTC_BASIC)


def originals(rule: rrulebase, master: Event, stop: Original | None = None) -> Iterator[Original]:
    """The rule's starts in order as original starts, up to stop, within MAX_STEPS."""
    for step, start in enumerate(rule):
        original = start.date() if master.all_day else start.astimezone(UTC)
        if step >= MAX_STEPS or (stop is not None and original > stop):
            return
        yield original
