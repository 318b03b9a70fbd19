"""The coordinator's calendar: the week view and the event form (a modal under htmx)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, make_response, redirect, request, url_for
from flask_login import current_user, login_required

from portal.auth.access import get_for_business
from portal.calendar.forms import EventForm, initial_for_event, initial_for_new
from portal.calendar.layout import build_week, monday_of
from portal.calendar.operations import create_event, delete_event, update_event
from portal.calendar.queries import visible_events_in_week
from portal.calendar.timeutil import MAX_YEAR, MIN_YEAR, to_local, today_in
from portal.core.htmx import is_htmx, render
from portal.core.timezones import AUSTRALIAN_ZONES, DEFAULT_ZONE, is_valid_zone
from portal.extensions import db
from portal.google.outbox import kick
from portal.models import EVENT_STATUSES, EVENT_TYPES, Event, utcnow
from portal.participants.queries import participants_of

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

# The htmx event a saved change announces; the week region reloads itself when it hears it.
CHANGED = "calendarChanged"


@bp.get("")
@login_required
def week():
    """The week view (grid and agenda) in the coordinator's own time zone."""
    zone_name = _viewer_zone()
    today = today_in(zone_name)
    monday = monday_of(request.args.get("week"), today)
    events = visible_events_in_week(current_user.id, monday, zone_name)
    return render(
        "calendar/week.html",
        "calendar/_week.html",
        week=build_week(events, monday, zone_name, today),
        event_types=EVENT_TYPES,
        statuses=EVENT_STATUSES,
    )


@bp.get("/events/new")
@login_required
def new():
    """An empty event form, starting at the hour (or on the day) that was clicked."""
    zone_name = _viewer_zone()
    start = _requested_start(request.args.get("start"), zone_name)
    all_day = request.args.get("all_day") == "1"
    form = _form_for(data=initial_for_new(start, zone_name, all_day))
    return _show_form(form, None)


@bp.post("/events")
@login_required
def create():
    """Create an event; the form again with a 400 when something is wrong."""
    form = _form_for()
    if not form.validate_on_submit():
        return _show_form(form, None, 400)
    event = create_event(current_user, form.to_data())
    db.session.commit()
    kick(event.owner_id)
    return _saved(event)


@bp.get("/events/<int:event_id>/edit")
@login_required
def edit(event_id: int):
    """The form for an existing event, in the event's own time zone."""
    event = _live_event(event_id)
    return _show_form(_form_for(data=initial_for_event(event)), event)


@bp.post("/events/<int:event_id>")
@login_required
def update(event_id: int):
    """Save changes to an event; the form again with a 400 when something is wrong."""
    event = _live_event(event_id)
    form = _form_for()
    if not form.validate_on_submit():
        return _show_form(form, event, 400)
    update_event(event, form.to_data())
    db.session.commit()
    kick(event.owner_id)
    return _saved(event)


@bp.post("/events/<int:event_id>/delete")
@login_required
def delete(event_id: int):
    """Delete an event: a tombstone, so Google hears of it and the record is kept."""
    event = _live_event(event_id)
    delete_event(event)
    db.session.commit()
    kick(event.owner_id)
    return _saved(event)


@bp.get("/dismiss")
@login_required
def dismiss():
    """Close the modal (htmx swaps this empty answer into it)."""
    return ""


def _viewer_zone() -> str:
    """The coordinator's zone; a broken stored value must not break the calendar."""
    zone_name = current_user.time_zone
    return zone_name if is_valid_zone(zone_name) else DEFAULT_ZONE


def _live_event(event_id: int) -> Event:
    """An event of this business that is not a tombstone, else 404."""
    event = get_for_business(Event, event_id)
    if event.is_deleted:
        abort(404)
    return event


def _form_for(**kwargs) -> EventForm:
    return EventForm(participants_of(current_user.business_id), **kwargs)


def _requested_start(value: str | None, zone_name: str) -> datetime:
    """The clicked slot (a local date or date and time), else the next whole hour."""
    try:
        start = datetime.fromisoformat(value) if value else None
    except ValueError:
        start = None
    if start is not None and MIN_YEAR <= start.year <= MAX_YEAR:
        start = start.replace(tzinfo=None)
        # A day in the all-day row: should the coordinator untick all-day, offer the morning.
        return start.replace(hour=9) if len(value) == 10 else start
    now = to_local(utcnow(), zone_name).replace(tzinfo=None)
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _show_form(form: EventForm, event: Event | None, status: int = 200):
    action = url_for("calendar.update", event_id=event.id) if event else url_for("calendar.create")
    return render(
        "calendar/event.html",
        "calendar/_event_form.html",
        status,
        form=form,
        event=event,
        action=action,
        zones=AUSTRALIAN_ZONES,
        back=url_for("calendar.week", week=_week_of(form.start_date.data)),
    )


def _saved(event: Event):
    """htmx: close the modal and tell the week to reload; otherwise back to the event's week."""
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Trigger"] = CHANGED
        return response
    return redirect(url_for("calendar.week", week=_first_day(event).isoformat()))


def _first_day(event: Event) -> date:
    """The event's first day as the coordinator sees it."""
    if event.all_day:
        return event.start_date
    return to_local(event.start_at, _viewer_zone()).date()


def _week_of(day: date | None) -> str | None:
    return day.isoformat() if isinstance(day, date) else None
