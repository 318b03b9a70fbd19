"""Google items a pull could not bring in: recorded where the coordinator sees them.

A pull skips an item it cannot apply and applies the rest (pull_items.py). Each skipped item
gets one activity row (kind "error", outcome "skipped") naming the Google event, its title
and why, in words; the traceback goes to the server's log. The row stays open while the item
stays out: an incremental pull that later applies the item (it changed in Google), or a full
sync that no longer lists it, closes the row (`reviewed`), and the card and "Check my
connection" stop naming it.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from portal.extensions import db
from portal.google.sync.activity import log_activity
from portal.models import GoogleConnection, SyncLog

log = logging.getLogger(__name__)

SKIPPED = "skipped"
NO_SERIES = "its recurring series could not be brought in"


def open_skips(connection: GoogleConnection) -> list[SyncLog]:
    """The items of the connection's calendar that are still left out, newest first."""
    stmt = (
        select(SyncLog)
        .where(
            SyncLog.connection_id == connection.id,
            SyncLog.kind == "error",
            SyncLog.outcome == SKIPPED,
            SyncLog.reviewed.is_(False),
        )
        .order_by(SyncLog.id.desc())
    )
    rows = db.session.scalars(stmt)
    # After “Change calendar” the old calendar's items no longer concern the coordinator.
    return [row for row in rows if (row.detail or {}).get("calendar_id") == connection.calendar_id]


class SkippedItems:
    """One pull's view of the items left out: record new ones, close those that now apply."""

    def __init__(self, connection: GoogleConnection) -> None:
        self.connection = connection
        # The Google ids this pull left out.
        self.ids: set[str] = set()
        self._open: dict[str, list[SyncLog]] | None = None

    @property
    def open(self) -> dict[str, list[SyncLog]]:
        """Open rows by Google id, read once per pull (an idle pull never reads them)."""
        if self._open is None:
            self._open = {}
            for row in open_skips(self.connection):
                self._open.setdefault(row.google_event_id or "", []).append(row)
        return self._open

    def record(self, item: dict, exc: Exception | None = None, reason: str = "") -> None:
        """Note that this item was left out, and why; flushes."""
        google_event_id = _clean(item.get("id"), 1024)
        self.ids.add(google_event_id)
        if exc is not None:
            log.error(
                "connection %s: skipped Google event %s",
                self.connection.id,
                google_event_id,
                exc_info=exc,
            )
        title = _clean(item.get("summary"), 200) or "(no title)"
        detail = {
            "google_event_id": google_event_id,
            "title": title,
            "reason": reason or reason_for(item, exc),
            "calendar_id": self.connection.calendar_id,
        }
        rows = self.open.get(google_event_id)
        if rows:
            # Left out again (a full sync lists it once more): one row says it.
            rows[0].message, rows[0].detail = _message(detail), detail
            db.session.flush()
        else:
            self.open[google_event_id] = [self._log(detail)]

    def _log(self, detail: dict) -> SyncLog:
        return log_activity(
            self.connection,
            "error",
            _message(detail),
            direction="from_google",
            google_event_id=detail["google_event_id"],
            outcome=SKIPPED,
            detail=detail,
        )

    def applied(self, google_event_ids: list[str]) -> None:
        """These items came in after all: their rows close."""
        for google_event_id in google_event_ids:
            for row in self.open.pop(google_event_id, []):
                row.reviewed = True

    def still_missing(self, listed: set[str]) -> None:
        """After a full sync: items Google no longer lists are not left out any more."""
        for google_event_id in [gid for gid in self.open if gid not in listed]:
            for row in self.open.pop(google_event_id):
                row.reviewed = True


def _clean(text: object, limit: int) -> str:
    """Google's text as the log can hold it: no control characters (PostgreSQL refuses NUL)."""
    if not isinstance(text, str):
        return ""
    return "".join(ch for ch in text if ch.isprintable() or ch == " ")[:limit]


def _message(detail: dict) -> str:
    return f"“{detail['title']}” could not be brought in from Google: {detail['reason']}"


def reason_for(item: dict, exc: Exception | None) -> str:
    """Why an item could not be applied, for a coordinator (not a traceback)."""
    if item.get("status") != "cancelled" and not _times_readable(item):
        return "Google's copy has no readable start and end time"
    if isinstance(exc, IntegrityError):
        return "it clashes with an event Coordinoter already has (for example a copy of one)"
    if isinstance(exc, DataError):
        return "some of its details are too long or hold characters Coordinoter cannot store"
    return "some of its details are in a form Coordinoter cannot read"


def _times_readable(item: dict) -> bool:
    start, end = item.get("start") or {}, item.get("end") or {}
    if "date" in start:
        return "date" in end or not end
    return "dateTime" in start and "dateTime" in end
