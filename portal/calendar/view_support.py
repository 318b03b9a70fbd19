"""What the calendar's views share: the viewer's zone, the events they may open, and the
answer to a saved change."""

from __future__ import annotations

import json
from datetime import date

from flask import abort, make_response, redirect, url_for
from flask_login import current_user

from portal.auth.access import get_event
from portal.calendar.timeutil import to_local
from portal.core.htmx import is_htmx
from portal.core.timezones import DEFAULT_ZONE, is_valid_zone
from portal.models import Event

# The htmx event a saved change announces; the week region reloads itself when it hears it.
CHANGED = "calendarChanged"


def viewer_zone() -> str:
    """The coordinator's zone; a broken stored value must not break the calendar."""
    zone_name = current_user.time_zone
    return zone_name if is_valid_zone(zone_name) else DEFAULT_ZONE


def saved(event: Event):
    """htmx: close the modal and tell the week to reload; otherwise back to the event's week.

    The htmx event carries the event's first day: a region that does not show that day (a new
    event late in the evening starts tomorrow) reloads on it instead (static/js/portal.js), so
    what was just saved is in sight.
    """
    day = first_day(event).isoformat()
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Trigger"] = json.dumps({CHANGED: {"day": day}})
        return response
    return redirect(url_for("calendar.week", week=day))


def first_day(event: Event) -> date:
    """The event's first day as the coordinator sees it."""
    if event.all_day:
        return event.start_date
    return to_local(event.start_at, viewer_zone()).date()


def live_event(event_id: int) -> Event:
    """An event the coordinator may reach (auth/access.py) that is not a tombstone, else 404."""
    event = get_event(event_id)
    if event.is_deleted:
        abort(404)
    return event
