"""The synced calendar deleted in Google, or no longer shared with the account.

Google then answers every call on that calendar with 404 notFound ("Handle API errors":
"when accessing a calendar that the user can not access"), or 403 when the account may
still see it but not change it (`requiredAccessLevel`, "You need to have writer access to
this calendar."; `forbidden`). Read one event at a time, that would look like a 404 per
event (the push would tombstone each as "deleted in Google") or a refusal per event. So the
sync jobs' client (`GuardedClient`) tells the calendar's loss apart from one event's: on a
calendar-level call (events.list, events.insert, watch) the refusal speaks for the calendar;
on an event call (get, patch, delete), one look at the calendar confirms it. It then raises
`CalendarGone`, which is not a GoogleApiError, so nothing that understands one event's 404
ever sees it, and the job stops the connection at once (`stop_for_lost_calendar`): no
retries, channels forgotten, and the portal's changes kept queuing for the calendar the
coordinator chooses next.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import requests
from sqlalchemy import update

from portal.extensions import db
from portal.google.account.incidents import open_incident
from portal.google.api.client import CalendarClient
from portal.google.api.errors import GoogleApiError
from portal.google.sync.activity import log_activity
from portal.models import GoogleConnection, WatchChannel, utcnow
from portal.models.google import CALENDAR_GONE

log = logging.getLogger(__name__)

# 403s that are about the calendar, not the event or the quota (usage limits are temporary,
# forbiddenForNonOrganizer is one invitation's, insufficientPermissions the grant's scopes).
CALENDAR_403 = {"forbidden", "requiredAccessLevel"}
# The reason says so itself: writing needs access the account no longer has.
READ_ONLY = "requiredAccessLevel"

GONE_MESSAGE = (
    "Your Google calendar “{name}” was deleted or is no longer shared with you, so sync has "
    "stopped. Changes made here are kept and will go to the calendar you choose."
)
READ_ONLY_MESSAGE = (
    "Your Google calendar “{name}” no longer lets you make changes, so sync has stopped. "
    "Changes made here are kept and will go to the calendar you choose."
)


class CalendarGone(Exception):
    """Google says the connection's calendar is gone for this account (deleted, unshared)."""

    def __init__(self, calendar_id: str, error: GoogleApiError) -> None:
        super().__init__(f"calendar {calendar_id} is gone: {error}")
        self.calendar_id = calendar_id
        self.error = error

    @property
    def read_only(self) -> bool:
        """Whether the account still sees the calendar but may no longer change it."""
        return self.error.reason == READ_ONLY


def refuses_calendar(exc: GoogleApiError) -> bool:
    """Whether Google's answer could mean the calendar itself is out of reach."""
    if exc.status == 404:
        return True
    return exc.status == 403 and not exc.usage_limited and exc.reason in CALENDAR_403


class GuardedClient(CalendarClient):
    """A Calendar client that raises CalendarGone when the guarded calendar is out of reach."""

    guarded: str = ""

    def guard(self, calendar_id: str) -> GuardedClient:
        """Watch Google's refusals of calls on this calendar; returns the client."""
        self.guarded = calendar_id
        return self

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one call (CalendarClient.request); a refusal that is the calendar's raises
        CalendarGone instead of the GoogleApiError."""
        try:
            return super().request(method, path, **kwargs)
        except GoogleApiError as exc:
            if self.guarded and refuses_calendar(exc) and self._lost(method, path, exc):
                raise CalendarGone(self.guarded, exc) from exc
            raise

    def _lost(self, method: str, path: str, exc: GoogleApiError) -> bool:
        events = f"/calendars/{quote(self.guarded, safe='')}/events"
        # events.list, events.insert and watch name nothing but the calendar.
        if path in (events, events + "/watch") or exc.reason == READ_ONLY:
            return True
        if not path.startswith(events + "/"):
            return False  # another calendar's call, or not a calendar's at all
        # One event's 404 (deleted in Google) looks the same as the calendar's: ask about the
        # calendar itself, once. A one-item listing needs only the events scope the sync holds
        # (calendars.get needs another), and unlike calendarList.get it still answers for a
        # calendar the account merely took off its list.
        try:
            super().request("GET", events, params={"maxResults": 1})
        except GoogleApiError as check:
            if refuses_calendar(check):
                return True
            if check.retryable:
                raise  # unknown for now: the job is retried, nothing is decided on a guess
        return False


def stop_for_lost_calendar(connection_id: int, gone: CalendarGone) -> GoogleConnection | None:
    """Stop syncing a connection whose calendar is gone; flushes. Outbox rows stay pending.

    A connection that is no longer syncing that calendar (disconnected, or another chosen
    meanwhile) is left as it is.
    """
    connection = db.session.get(GoogleConnection, connection_id)
    if connection is None or not connection.is_active or connection.calendar_id != gone.calendar_id:
        return None
    log.warning("connection %s: calendar lost (%s)", connection_id, gone.error)
    message = lost_calendar_message(connection, read_only=gone.read_only)
    connection.state = CALENDAR_GONE
    connection.last_error, connection.last_error_at = message, utcnow()
    connection.polling_only = False
    # Google delivers nothing more on them; the webhook must not trust them either.
    db.session.execute(
        update(WatchChannel)
        .where(WatchChannel.connection_id == connection_id, WatchChannel.stopped_at.is_(None))
        .values(stopped_at=utcnow())
    )
    log_activity(connection, "error", message, outcome=CALENDAR_GONE)
    open_incident(connection, CALENDAR_GONE)  # one email to the coordinator, not per job
    return connection


def lost_calendar_message(connection: GoogleConnection, read_only: bool = False) -> str:
    """What happened to the coordinator's calendar, in their words."""
    name = connection.calendar_summary or connection.calendar_id or "your calendar"
    return (READ_ONLY_MESSAGE if read_only else GONE_MESSAGE).format(name=name)
