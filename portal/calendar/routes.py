"""The coordinator's calendar: the event form (a modal under htmx); the week is week_routes.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import abort, request, url_for
from flask_login import current_user, login_required

from portal.calendar.blueprint import bp
from portal.calendar.forms import EventForm, initial_for_event, initial_for_new
from portal.calendar.google_form import (
    description_preview,
    keep_description,
)
from portal.calendar.google_routes import save_google, show_google
from portal.calendar.operations import delete_event
from portal.calendar.recurrence import (
    RecurrenceError,
    occurrence_at,
    occurrence_key,
    original_of,
    original_start,
    parse_occurrence_key,
    produces,
)
from portal.calendar.recurrence_ops import (
    create_series,
    delete_following,
    delete_occurrence,
    delete_series,
    edit_occurrence,
    edit_series,
    series_data,
    split_series,
)
from portal.calendar.rule_lines import Original
from portal.calendar.rules import parse_rule
from portal.calendar.timeutil import MAX_YEAR, MIN_YEAR, to_local
from portal.calendar.view_support import live_event, saved, viewer_zone
from portal.calendar.week_routes import requested_owner  # and so the week's routes register
from portal.core.htmx import render
from portal.core.timezones import AUSTRALIAN_ZONES
from portal.extensions import db
from portal.google.sync import kinds
from portal.models import Event, utcnow
from portal.participants.queries import participants_of


@bp.get("/events/new")
@login_required
def new():
    """An empty event form, starting at the hour (or on the day) that was clicked."""
    zone_name = viewer_zone()
    start = _requested_start(request.args.get("start"), zone_name)
    all_day = request.args.get("all_day") == "1"
    requested_owner()  # the form posts back to the same coordinator's calendar
    form = _form_for(data=initial_for_new(start, zone_name, all_day))
    return _show_form(form, None)


@bp.post("/events")
@login_required
def create():
    """Create an event; the form again with a 400 when something is wrong."""
    owner = requested_owner()  # an admin may add to another coordinator's calendar
    form = _form_for()
    if not form.validate_on_submit():
        return _show_form(form, None, 400)
    return _attempt(
        lambda: create_series(owner, form.to_data(), form.recurrence()),
        form,
        lambda status: _show_form(form, None, status),
    )


@bp.get("/events/<int:event_id>/edit")
@login_required
def edit(event_id: int):
    """The form for an existing event (a series as a whole), in the event's own time zone."""
    event = live_event(event_id)
    if event.is_exception and original_of(event) is not None:
        return occurrence_form(event.series_id, occurrence_key(original_of(event)))
    if event.google_kind:
        return show_google(event)
    form = _form_for(data=initial_for_event(event), custom_rule=_custom_rule(event), keeping=event)
    return _show_form(form, event)


@bp.post("/events/<int:event_id>")
@login_required
def update(event_id: int):
    """Save changes to an event; the form again with a 400 when something is wrong."""
    event = live_event(event_id)
    if event.is_exception and original_of(event) is not None:
        return save_occurrence(event.series_id, occurrence_key(original_of(event)))
    if event.google_kind:
        return save_google(event)
    form = _form_for(custom_rule=_custom_rule(event), keeping=event)
    if not form.validate_on_submit():
        return _show_form(form, event, 400)
    # A single event may start repeating here, and a series stop.
    return _attempt(
        lambda: edit_series(
            event, keep_description(event, form.to_data()), form.recurrence(event.recurrence)
        ),
        form,
        lambda status: _show_form(form, event, status),
    )


@bp.post("/events/<int:event_id>/delete")
@login_required
def delete(event_id: int):
    """Delete an event (a series with all its occurrences): tombstones, kept and sent to Google."""
    event = live_event(event_id)
    if not kinds.can_delete(event):
        return show_google(event, 400, error="Decline an invitation instead of deleting it.")
    if event.is_series:
        delete_series(event)
    else:
        delete_event(event)
    db.session.commit()
    return saved(event)


@bp.get("/events/<int:event_id>/occurrences/<key>/edit")
@login_required
def occurrence_form(event_id: int, key: str):
    """The form for one occurrence of a series, asking what a change applies to."""
    master, original, exception = _occurrence(event_id, key)
    if master.google_kind:
        # Google's special events are changed as a whole series (its rule is Google's).
        return show_google(master)
    shown = exception or occurrence_at(master, original)
    values = initial_for_event(shown, series=master)
    form = _form_for(data=values, custom_rule=_custom_rule(master), scoped=True, keeping=shown)
    return _show_form(form, master, occurrence=key)


@bp.post("/events/<int:event_id>/occurrences/<key>")
@login_required
def save_occurrence(event_id: int, key: str):
    """Save a change to this occurrence, to it and the following ones, or to all of them."""
    master, original, exception = _occurrence(event_id, key)
    if master.google_kind:
        return save_google(master)
    form = _form_for(custom_rule=_custom_rule(master), scoped=True, keeping=exception or master)
    if not form.validate_on_submit():
        return _show_form(form, master, 400, occurrence=key)

    def change() -> Event:
        data, scope = keep_description(exception or master, form.to_data()), form.scope.data
        if scope == "this":
            return edit_occurrence(master, original, data)
        rule = form.recurrence(master.recurrence)
        if scope == "following":
            return split_series(master, original, data, rule)
        shown = original_start(exception) if exception else original
        return edit_series(master, series_data(master, shown, data), rule)

    return _attempt(change, form, lambda status: _show_form(form, master, status, occurrence=key))


@bp.post("/events/<int:event_id>/occurrences/<key>/delete")
@login_required
def delete_occurrences(event_id: int, key: str):
    """Delete this occurrence, it and the following ones, or the whole series."""
    master, original, _exception = _occurrence(event_id, key)
    if not kinds.can_delete(master):
        return show_google(master, 400, error="Decline an invitation instead of deleting it.")
    scope = request.form.get("scope", "this")
    if scope == "this":
        changed = delete_occurrence(master, original)
    elif scope == "following":
        changed = delete_following(master, original)
    elif scope == "all":
        changed = delete_series(master)
    else:
        abort(400)
    db.session.commit()
    return saved(changed)


@bp.get("/dismiss")
@login_required
def dismiss():
    """Close the modal (htmx swaps this empty answer into it)."""
    return ""


def _occurrence(event_id: int, key: str) -> tuple[Event, Original, Event | None]:
    """A live series of this business, one of its occurrences and the exception replacing it.

    404 for another business's, a deleted or a cancelled one; 400 for a key that names no
    occurrence of the series.
    """
    master = live_event(event_id)
    if not master.is_series or master.is_exception:
        abort(404)
    try:
        original = parse_occurrence_key(key)
    except ValueError:
        abort(400)
    exception = master.exception_for(original)
    if exception is not None:
        if exception.is_deleted or exception.deleted_by == "google":
            abort(404)
        return master, original, exception
    if not produces(master, original):
        abort(400)
    return master, original, None


def _custom_rule(event: Event) -> str | None:
    """A series' rule that the form cannot show, to be offered as "keep it"."""
    return event.recurrence if event.is_series and parse_rule(event) is None else None


def _attempt(change, form: EventForm, show_form):
    """Make a change and commit it; if the series cannot be as asked, undo it all and say why."""
    try:
        changed = change()
    except RecurrenceError as error:
        db.session.rollback()
        form[error.field].errors.append(str(error))
        return show_form(400)
    db.session.commit()
    return saved(changed)


def _form_for(keeping: Event | None = None, **kwargs) -> EventForm:
    # An archived participant stays offered on the events that already have them.
    kept = keeping.participant_id if keeping is not None else None
    return EventForm(participants_of(current_user.business_id, keeping=kept), **kwargs)


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


def _show_form(form: EventForm, event: Event | None, status: int = 200, occurrence: str = ""):
    """The event form; for an occurrence (key) of the series `event`, with its own actions."""
    if occurrence:
        where = {"event_id": event.id, "key": occurrence}
        action = url_for("calendar.save_occurrence", **where)
        delete_action = url_for("calendar.delete_occurrences", **where)
    elif event:
        action = url_for("calendar.update", event_id=event.id)
        delete_action = url_for("calendar.delete", event_id=event.id)
    else:
        action, delete_action = url_for("calendar.create"), None
    return render(
        "calendar/event.html",
        "calendar/_event_form.html",
        status,
        form=form,
        event=event,
        occurrence=occurrence,
        action=action,
        delete_action=delete_action,
        zones=AUSTRALIAN_ZONES,
        notes_preview=description_preview(event),
        back=url_for("calendar.week", week=_week_of(form.start_date.data)),
    )


def _week_of(day: date | None) -> str | None:
    return day.isoformat() if isinstance(day, date) else None
