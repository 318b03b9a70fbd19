"""Series rules in the form's terms: from the form's choices to an RRULE and back, and the
rule changes behind "this and following" and "delete following".
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from portal.calendar.recurrence import (
    RecurrenceError,
    Repeat,
    first_day_of,
    original_start,
)
from portal.calendar.rule_lines import (
    BROKEN,
    UTC_BASIC,
    Original,
    day_end,
    day_of,
    join_parts,
    lines_of,
    name_of,
    normalised,
    originals,
    parts_of,
    rule_set,
)
from portal.models import Event

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_COUNT = 730
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_RULE_KEYS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT", "WKST"}


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
        parts.append(f"UNTIL={last:%Y%m%d}" if all_day else f"UNTIL={day_end(last, zone_name)}")
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
    return "\n".join([rule, *(line for line in lines_of(previous) if name_of(line) == "EXDATE")])


def parse_rule(master: Event) -> Repeat | None:
    """The form's choices for a series' rule; Repeat() if none, None if the form cannot say it."""
    lines = lines_of(master.recurrence)
    if not lines:
        return Repeat()
    rules = [line for line in lines if name_of(line) == "RRULE"]
    if len(rules) != 1 or any(name_of(line) not in ("RRULE", "EXDATE") for line in lines):
        return None
    parts = parts_of(rules[0])
    values = dict(parts)
    if len(values) != len(parts) or not set(values) <= _RULE_KEYS:
        return None
    if values.get("WKST", "MO") != "MO":  # the week start changes what a fortnight is
        return None
    try:
        shape = _shape(values, first_day_of(master))
        ending = _ending(values, master, rules[0])
    except BROKEN:
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
    last = max(originals(rule_set(master, [line]), master), default=None)
    return "until", first_day_of(master) if last is None else day_of(last, master), None


# Changing rules: "this and following", "delete following"


def until_before(master: Event, original: Original) -> str:
    """The master's rule ending just before one of its occurrences (a COUNT becomes an UNTIL)."""
    if isinstance(original, datetime):
        until = (original.astimezone(UTC) - timedelta(seconds=1)).strftime(UTC_BASIC)
    else:
        until = f"{original - timedelta(days=1):%Y%m%d}"
    lines = []
    for line in lines_of(master.recurrence):
        if name_of(line) == "RRULE":
            earlier = [v for k, v in parts_of(normalised(line, master)) if k == "UNTIL"]
            kept = [(k, v) for k, v in parts_of(line) if k not in ("COUNT", "UNTIL")]
            line = "RRULE:" + join_parts([*kept, ("UNTIL", min([until, *earlier]))])
        lines.append(line)
    return "\n".join(lines)


def occurrences_before(master: Event, original: Original) -> int:
    """How many occurrences of the master's (first) RRULE come before one of its occurrences."""
    rules = [line for line in lines_of(master.recurrence) if name_of(line) == "RRULE"]
    if not rules:
        return 0
    earlier = originals(rule_set(master, rules[:1]), master, stop=original)
    return sum(1 for start in earlier if start < original)


def with_count_reduced(recurrence: str, used: int) -> str:
    """A rule whose COUNT included `used` earlier occurrences, for the rest of the series."""
    lines = []
    for line in lines_of(recurrence):
        parts = parts_of(line) if name_of(line) == "RRULE" else []
        if "COUNT" in dict(parts):
            remaining = int(dict(parts)["COUNT"]) - used
            if remaining < 1:
                message = f"The series already has {used} occurrences before this one."
                raise RecurrenceError(message, "count")
            counted = [(k, str(remaining) if k == "COUNT" else v) for k, v in parts]
            line = "RRULE:" + join_parts(counted)
        lines.append(line)
    return "\n".join(lines)


def check_rule(master: Event) -> None:
    """RecurrenceError unless the rule can be expanded and its first occurrence is the start."""
    try:
        first = next(originals(rule_set(master), master), None)
    except BROKEN as error:
        raise RecurrenceError(f"This repeat rule cannot be used ({error}).") from error
    if first != original_start(master):
        raise RecurrenceError(
            "The event's own start must be the first occurrence: include its day in the "
            "repeat, or move the start."
        )
