"""Google's times and recurrence rules as the chaos driver writes and reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import takewhile
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from tests.chaos.values import BUSY_TITLE

UTC_BASIC = "%Y%m%dT%H%M%SZ"


def base_of(title: str | None) -> str:
    """The first word of a title, to build a new unique one from ("Busy" for the busy title)."""
    if not title or title.startswith(BUSY_TITLE):
        return "Busy"
    return title.split()[0]


def rfc3339(moment: datetime) -> str:
    """A UTC instant as Google accepts it (Z suffix)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_instant(value: str) -> datetime:
    """Google's dateTime text as a UTC instant."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def google_start(item: dict) -> datetime | date:
    """An item's own start: a UTC instant, or a date if all-day."""
    start = item["start"]
    return (
        date.fromisoformat(start["date"]) if "date" in start else parse_instant(start["dateTime"])
    )


def google_original(item: dict) -> datetime | date:
    """An instance's original start (where the rule put it), as its own start is for a master."""
    original = item["originalStartTime"]
    if "date" in original:
        return date.fromisoformat(original["date"])
    return parse_instant(original["dateTime"])


def rule_parts(line: str) -> list[tuple[str, str]]:
    """The KEY=value parts of an RRULE line."""
    value = line.split(":", 1)[1]
    return [(k.upper(), v) for k, _sep, v in (p.partition("=") for p in value.split(";") if p)]


def join_parts(parts: list[tuple[str, str]]) -> str:
    """KEY=value parts back into the text after "RRULE:"."""
    return ";".join(f"{k}={v}" for k, v in parts)


def count_before(master: dict, rule: str, split_at: datetime | date) -> int:
    """How many of the rule's occurrences (cancelled ones too) start before split_at."""
    start = master["start"]
    if "date" in start:
        dtstart = datetime.combine(date.fromisoformat(start["date"]), time())
        starts = rrulestr(rule, dtstart=dtstart)
        return sum(1 for _ in takewhile(lambda s: s.date() < split_at, starts))
    zone = ZoneInfo(start.get("timeZone") or "UTC")
    starts = rrulestr(rule, dtstart=parse_instant(start["dateTime"]).astimezone(zone))
    return sum(1 for _ in takewhile(lambda s: s.astimezone(UTC) < split_at, starts))


def split_rule(master: dict, rule: str, split_at: datetime | date) -> tuple[str, str] | None:
    """ "This and following" at split_at: the series' rule ended just before it, and the rule
    of the new series from it (what is left of a COUNT); None when nothing is left."""
    parts = rule_parts(rule)
    kept = [(k, v) for k, v in parts if k not in ("COUNT", "UNTIL")]
    if isinstance(split_at, datetime):
        until = (split_at - timedelta(seconds=1)).strftime(UTC_BASIC)
    else:
        until = f"{split_at - timedelta(days=1):%Y%m%d}"
    ending = [(k, v) for k, v in parts if k == "UNTIL"]
    if any(k == "COUNT" for k, _ in parts):
        remaining = int(dict(parts)["COUNT"]) - count_before(master, rule, split_at)
        if remaining < 1:
            return None
        ending = [("COUNT", str(remaining))]
    return "RRULE:" + join_parts([*kept, ("UNTIL", until)]), "RRULE:" + join_parts([*kept, *ending])
