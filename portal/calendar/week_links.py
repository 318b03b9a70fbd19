"""The links of one calendar view (a week, three days or a day), built from one url_for per kind
instead of one per item.

A busy week has hundreds of clickable items and 175 empty slots; url_for for each cost about a
fifth of the page's server time. The URL map still decides every path: it builds each kind
once, with a sentinel id, and the items fill in their own id.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode

from flask import url_for
from markupsafe import Markup

from portal.calendar.recurrence import Occurrence
from portal.models import Event

# An id no row has (the URL converter refuses anything larger), so it appears once per path.
_ID = 2**31 - 1
_KEY = "occurrence-key"
REPEATS = Markup('<span class="repeats" title="Repeats" aria-label="Repeats:">↻ </span>')


def _join(path: str, query: str) -> str:
    """A path with more query: an admin's view of a colleague's calendar already has one."""
    return f"{path}{'&' if '?' in path else '?'}{query}"


class WeekLinks:
    """Where each item of a week view leads."""

    def __init__(self) -> None:
        self._edit = url_for("calendar.edit", event_id=_ID)
        self._occurrence = url_for("calendar.occurrence_form", event_id=_ID, key=_KEY)
        self._new = url_for("calendar.new")
        self._calendar = url_for("calendar.week")

    def view(self, view: str, day: date) -> str:
        """The calendar in a view from a day: ?week= for the week, else ?view=…&date=…."""
        if view == "week":
            return _join(self._calendar, urlencode({"week": day.isoformat()}))
        return _join(self._calendar, urlencode({"view": view, "date": day.isoformat()}))

    def edit(self, item: Event | Occurrence) -> str:
        """An occurrence's own form, or the event's."""
        if isinstance(item, Occurrence):
            path = self._occurrence.replace(str(_ID), str(item.master_id), 1)
            return path.replace(_KEY, quote(item.key, safe=""), 1)
        return self._edit.replace(str(_ID), str(item.id), 1)

    def new(self, start: str | None = None, all_day: bool = False) -> str:
        """The new-event form, starting at a clicked slot (a local date, or date and time)."""
        query = {"start": start} if start else {}
        if all_day:
            query["all_day"] = "1"
        # ":" stays as is, as url_for leaves it: a query may hold it unescaped.
        return _join(self._new, urlencode(query, safe=":")) if query else self._new

    def slots(self, day: date, hours: list[tuple[int, str]]) -> list[tuple[str, str]]:
        """Each hour of a day as (label, new-event link starting then)."""
        iso = day.isoformat()
        return [(label, self.new(f"{iso}T{hour:02d}:00")) for hour, label in hours]

    @staticmethod
    def repeats(item: Event | Occurrence) -> Markup:
        """The small ↻ that marks occurrences of a series (and their exceptions)."""
        return REPEATS if item.recurrence or item.series_id else Markup("")
