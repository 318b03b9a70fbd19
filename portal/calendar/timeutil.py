"""Wall-clock times in an IANA zone to UTC instants and back, honest about daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from portal.core.timezones import format_time, zone

# Dates the portal accepts: wide enough for any plan or record, narrow enough that
# date arithmetic and zone conversion can never overflow.
MIN_YEAR = 1900
MAX_YEAR = 2200


class NonexistentLocalTime(ValueError):
    """A wall-clock time that a daylight-saving change skips in that zone."""


def to_utc(local: datetime, zone_name: str) -> datetime:
    """The UTC instant of a naive wall-clock time in zone_name; raises NonexistentLocalTime."""
    if local.tzinfo is not None:
        raise ValueError("expected a naive wall-clock time")
    tz = zone(zone_name)
    # fold=0: in the hour repeated when daylight saving ends, take the first occurrence
    # (still on daylight time). That is the hour the clock shows first, and the choice
    # Google Calendar and most calendars make.
    instant = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    # A time in the skipped hour does not survive the round trip: zoneinfo quietly maps it
    # to a real time an hour away, which would shift the appointment. Refuse it instead.
    if instant.astimezone(tz).replace(tzinfo=None) != local:
        raise NonexistentLocalTime(
            f"{format_time(local)} on {format_day(local.date())} does not exist in "
            f"{zone_name}: the clocks jump past it when daylight saving starts. "
            "Choose another time."
        )
    return instant


def start_of_day(day: date, zone_name: str) -> datetime:
    """The UTC instant a local day begins (after the gap, where a zone skips midnight)."""
    # Not to_utc: a day always begins, even in the few zones whose clocks jump over midnight;
    # fold=0 maps a skipped midnight to the first instant that exists.
    return datetime.combine(day, time(), tzinfo=zone(zone_name)).astimezone(UTC)


def to_local(instant: datetime, zone_name: str) -> datetime:
    """The aware wall-clock time in zone_name of a UTC instant."""
    return instant.astimezone(zone(zone_name))


def today_in(zone_name: str) -> date:
    """Today's date in zone_name."""
    return datetime.now(UTC).astimezone(zone(zone_name)).date()


def format_hour(hour: int) -> str:
    """An hour label for the grid: 12 am, 9 am, 1 pm."""
    return f"{hour % 12 or 12} {'am' if hour < 12 else 'pm'}"


def format_day(day: date) -> str:
    """A date in words: Monday 5 October 2026."""
    return f"{day:%A} {day.day} {day:%B %Y}"
