"""What "the same event" means on both sides: title, all-day flag, start and end.

Timed events compare as UTC instants, all-day events as dates (end exclusive), so a value
written in Google with an offset and one stored in the portal in UTC compare equal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NamedTuple

from portal.models import Event


class Value(NamedTuple):
    """The synced fields of an event, normalised."""

    title: str
    all_day: bool
    start: date | datetime
    end: date | datetime

    def __str__(self) -> str:
        return f"“{self.title}” {self.start}–{self.end}{' all-day' if self.all_day else ''}"


def portal_value(event: Event) -> Value:
    """A portal event's synced fields."""
    if event.all_day:
        return Value(event.title, True, event.start_date, event.end_date)
    return Value(event.title, False, event.start_at.astimezone(UTC), event.end_at.astimezone(UTC))


def google_value(item: dict) -> Value:
    """A Google event's synced fields."""
    start, end = item["start"], item["end"]
    if "date" in start:
        return Value(
            item.get("summary", ""),
            True,
            date.fromisoformat(start["date"]),
            date.fromisoformat(end["date"]),
        )
    return Value(
        item.get("summary", ""), False, _instant(start["dateTime"]), _instant(end["dateTime"])
    )


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
