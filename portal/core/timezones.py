"""IANA time zones: validation, the Australian zones a coordinator picks from, and the one way
times are written for coordinators (2 Dec 2026, 2:00 pm)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

AUSTRALIAN_ZONES = [
    ("Australia/Sydney", "Sydney, Canberra (NSW, ACT)"),
    ("Australia/Melbourne", "Melbourne (VIC)"),
    ("Australia/Hobart", "Hobart (TAS)"),
    ("Australia/Brisbane", "Brisbane (QLD, no daylight saving)"),
    ("Australia/Lindeman", "Whitsundays (QLD)"),
    ("Australia/Adelaide", "Adelaide (SA)"),
    ("Australia/Broken_Hill", "Broken Hill (NSW, on SA time)"),
    ("Australia/Darwin", "Darwin (NT, no daylight saving)"),
    ("Australia/Perth", "Perth (WA, no daylight saving)"),
    ("Australia/Eucla", "Eucla (WA)"),
    ("Australia/Lord_Howe", "Lord Howe Island"),
]

DEFAULT_ZONE = "Australia/Sydney"


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_zone(name: str | None) -> bool:
    """Whether name is an IANA zone this machine knows."""
    if not name or name not in _known():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for a validated IANA name."""
    return ZoneInfo(name)


def format_time(moment: datetime) -> str:
    """A time as coordinators write it: 9:00 am, 12:30 pm."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def format_moment(moment: datetime, where: tzinfo) -> str:
    """An instant as coordinators read it, in their zone: 2 Dec 2026, 2:00 pm."""
    local = moment.astimezone(where)
    return f"{local.day} {local:%b %Y}, {format_time(local)}"
