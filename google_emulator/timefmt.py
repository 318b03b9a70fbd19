"""Time parsing and formatting the way Google writes it."""

from __future__ import annotations

import email.utils
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = UTC


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


def rfc3339_ms(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and Z, as Google writes `updated` and `created`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_rfc3339(text: str) -> datetime:
    """An aware datetime from an RFC 3339 timestamp; the offset is mandatory."""
    if not isinstance(text, str) or "T" not in text.upper():
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if moment.tzinfo is None:
        raise ValueError(f"missing offset: {text!r}")
    return moment


def parse_local_or_aware(text: str) -> datetime:
    """A datetime from an RFC 3339 string whose offset may be missing (naive then)."""
    if not isinstance(text, str) or "T" not in text.upper():
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    return datetime.fromisoformat(text.strip().replace("z", "Z"))


def parse_date(text: str) -> date:
    """A date from YYYY-MM-DD."""
    if not isinstance(text, str) or len(text) != 10:
        raise ValueError(f"not a date: {text!r}")
    return date.fromisoformat(text)


def zone(name: str) -> ZoneInfo:
    """The IANA zone of that name, or ValueError."""
    if not isinstance(name, str) or not name or name.startswith("/") or ".." in name:
        raise ValueError(f"invalid time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"invalid time zone {name!r}") from exc


def is_zone(name: str) -> bool:
    """Whether the IANA zone exists."""
    try:
        zone(name)
    except ValueError:
        return False
    return True


def render_in_zone(moment: datetime, tz_name: str) -> str:
    """The instant as local time with offset in that zone, seconds precision (Google's form)."""
    local = moment.astimezone(zone(tz_name))
    text = local.replace(microsecond=0).isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def localize(naive: datetime, tz_name: str) -> datetime:
    """An aware datetime for a wall-clock time in a zone (first occurrence when ambiguous)."""
    return naive.replace(tzinfo=zone(tz_name), fold=0)


def to_wall(moment: datetime, tz_name: str) -> datetime:
    """The naive wall-clock time of an instant in a zone."""
    return moment.astimezone(zone(tz_name)).replace(tzinfo=None)


def date_start(day: date, tz_name: str) -> datetime:
    """Midnight at the start of a date in a zone, as an aware datetime."""
    return localize(datetime(day.year, day.month, day.day), tz_name)


def http_date(epoch_seconds: float) -> str:
    """An RFC 7231 date such as `Tue, 19 Nov 2013 01:13:52 GMT`."""
    return email.utils.formatdate(epoch_seconds, usegmt=True)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def from_epoch_ms(ms: int) -> datetime:
    """An aware UTC datetime from epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000, UTC)


ONE_DAY = timedelta(days=1)
