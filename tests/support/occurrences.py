"""What each side shows over a window: every single event and every occurrence of every series.

The portal's side is its own expansion (portal.calendar.recurrence.expand, what the calendar
page shows); Google's is the emulator's (`singleEvents=true`). Comparing the two compares the
sync's result as a coordinator sees it, whatever rows or exceptions either side keeps.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import select

from portal.calendar.recurrence import Window, expand, occurrence_key
from portal.extensions import db
from portal.models import Event


class Shown(NamedTuple):
    """One single event or occurrence as a side shows it; starts and ends as UTC text or dates.

    `series` is the series' id on that side (portal master id, Google master id), None for a
    single event; `original` is the occurrence's original start (occurrence_key), which pairs
    an occurrence with its counterpart even when it was moved. `origin` is the portal row's
    origin ("portal" or "google"); Google's side does not know it (None).
    """

    start: str
    end: str
    title: str
    location: str
    notes: str
    series: int | str | None = None
    original: str | None = None
    origin: str | None = None


def window(start: datetime, end: datetime) -> Window:
    """The portal's window for these instants (all-day events by the same UTC dates)."""
    return Window(start, end, start.date(), end.date())


def portal_shown(user_id: int, start: datetime, end: datetime) -> list[Shown]:
    """Everything the portal shows the coordinator between start and end, sorted."""
    db.session.expire_all()
    events = db.session.scalars(select(Event).where(Event.owner_id == user_id)).all()
    span = window(start, end)
    shown = []
    for event in events:
        if event.is_series and not event.is_exception and not event.is_deleted:
            exceptions = [e for e in events if e.series_id == event.id]
            for occurrence in expand(event, exceptions, span):
                shown.append(_portal(occurrence, event.id, occurrence_key(occurrence.original)))
        elif not event.is_series and not event.is_exception and not event.is_deleted:
            shown.append(_portal(event, None, None))
    return sorted(shown, key=_order)


def google_shown(google_state, calendar_id: str, start: datetime, end: datetime) -> list[Shown]:
    """Every instance Google shows on the calendar between start and end, sorted."""
    shown = []
    for item in google_state.expand(calendar_id, start, end):
        original = item.get("originalStartTime")
        shown.append(
            Shown(
                google_moment(item["start"]),
                google_moment(item["end"]),
                item.get("summary", ""),
                item.get("location", ""),
                item.get("description", ""),
                item.get("recurringEventId"),
                occurrence_key(_google_original(original)) if original else None,
            )
        )
    return sorted(shown, key=_order)


def _portal(item, series: int | None, original: str | None) -> Shown:
    """An Event or an Occurrence (which reads through to its event) as Shown."""
    if item.all_day:
        start, end = item.start_date.isoformat(), item.end_date.isoformat()
    else:
        start, end = utc_text(item.start_at), utc_text(item.end_at)
    return Shown(
        start,
        end,
        item.title,
        item.location or "",
        item.notes or "",
        series,
        original,
        item.origin,
    )


def _order(shown: Shown) -> tuple:
    return (shown.start, shown.end, shown.title, str(shown.series), shown.original or "")


def utc_text(moment: datetime) -> str:
    """An instant as Z-suffixed UTC text, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def google_moment(value: dict) -> str:
    """Google's start or end ({date} or {dateTime}) as a date or as Z-suffixed UTC text."""
    if "date" in value:
        return value["date"]
    return utc_text(datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00")))


def _google_original(original: dict) -> datetime | date:
    if "date" in original:
        return date.fromisoformat(original["date"])
    return datetime.fromisoformat(original["dateTime"].replace("Z", "+00:00")).astimezone(UTC)
