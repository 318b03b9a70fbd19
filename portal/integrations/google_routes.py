"""Connecting Google Calendar: sign-in, callback, calendar, privacy level and disconnect.

Google's push notifications (`/google/notify`) are answered in front of Flask: see
portal.google.realtime.webhook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, flash, render_template, request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from portal.core.htmx import is_htmx, render
from portal.extensions import db
from portal.google.account.connection import (
    ConnectionRefused,
    choose_calendar,
    complete_connection,
    complete_dedicated_calendar,
    create_dedicated_calendar,
    get_connection,
    has_scope,
    record_connect_failure,
    set_privacy_level,
    start_connection,
    writable_calendars,
)
from portal.google.account.disconnect import request_disconnect
from portal.google.account.oauth import (
    CALENDAR_APP_CREATED,
    PURPOSE_NEW_CALENDAR,
    OAuthFailure,
    StateMismatch,
    authorization_redirect,
    finish_authorization,
    is_configured,
)
from portal.google.worker import enqueue
from portal.integrations.forms import NEW_CALENDAR, CalendarForm, DisconnectForm, PrivacyForm
from portal.integrations.privacy import changed_message, widens
from portal.integrations.routes import back_to_card, render_card
from portal.models import GoogleConnection

bp = Blueprint("google", __name__, url_prefix="/google")
F = TypeVar("F", bound=FlaskForm)

BAD_CALLBACK = (
    "This Google sign-in link is not valid any more: it was already used, it expired, or it "
    "was started in another browser. Nothing was changed. Go back to Manage Integrations and "
    "press “Sign in with Google” again."
)


def _active_connection() -> GoogleConnection:
    """The current coordinator's live connection, else 404 (nothing to act on)."""
    return _own_connection(lambda connection: connection.is_active)


def _choosing() -> GoogleConnection:
    """The current coordinator's connection if a calendar may be chosen now (live, or its
    calendar lost), else 404."""
    return _own_connection(lambda connection: connection.may_choose_calendar)


def _disconnectable() -> GoogleConnection:
    """The current coordinator's connection if it is live or broken, else 404."""
    return _own_connection(lambda connection: connection.is_linked)


def _own_connection(usable: Callable[[GoogleConnection], bool]) -> GoogleConnection:
    connection = get_connection(current_user.id)
    if connection is None or not usable(connection):
        abort(404)
    return connection


def _posted(form: F) -> F:
    """The posted form, valid; else 400 (the page only offers valid choices)."""
    if not form.validate_on_submit():
        abort(400)
    return form


@bp.post("/connect")
@login_required
def connect():
    """Start “Sign in with Google” (also Reconnect): off to Google's consent page."""
    if not is_configured():
        abort(404)
    try:
        start_connection(current_user)
    except ConnectionRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return back_to_card()
    db.session.commit()
    return authorization_redirect(current_user.id)


@bp.get("/reconnect")
@login_required
def reconnect():
    """The Reconnect link of an email about a broken sync: straight on to Google's sign-in.

    A link in an email can only be a GET; Google's consent page is where the coordinator
    confirms, and the callback checks the state this session was given.
    """
    return connect()


@bp.get("/callback")
@login_required
def callback():
    """Google sends the browser back here with a code (or an error) and our state."""
    try:
        authorization = finish_authorization(current_user.id, request.args)
    except StateMismatch:
        return render_template("error.html", code=400, message=BAD_CALLBACK), 400
    except OAuthFailure as failure:
        return _connect_failed(failure.message, failure.purpose)
    try:
        if authorization.purpose == PURPOSE_NEW_CALENDAR:
            connection = complete_dedicated_calendar(current_user, authorization)
        else:
            connection = complete_connection(current_user, authorization)
    except ConnectionRefused as refused:
        db.session.rollback()
        return _connect_failed(refused.message, authorization.purpose)
    db.session.commit()
    enqueue.enqueue_initial_import(connection.id)
    return back_to_card()


def _connect_failed(message: str, purpose: str):
    if purpose == PURPOSE_NEW_CALENDAR:
        # The sync itself is fine: say so once, without marking the connection as failing.
        flash(message, "error")
    else:
        record_connect_failure(current_user, message)
        db.session.commit()
    return back_to_card()


@bp.get("/calendar")
@login_required
def calendar_picker():
    """The list of the account's writable calendars, plus a new dedicated one."""
    connection = _choosing()
    try:
        calendars = writable_calendars(connection)
    except ConnectionRefused as refused:
        flash(refused.message, "error")
        return back_to_card()
    form = CalendarForm(calendar_id=connection.calendar_id)
    return render(
        "integrations/calendar.html",
        "integrations/_calendar_picker.html",
        form=form,
        calendars=calendars,
        connection=connection,
        new_calendar=NEW_CALENDAR,
    )


@bp.post("/calendar")
@login_required
def change_calendar():
    """Sync with another calendar; a new dedicated one may need one more Google consent."""
    connection = _choosing()
    form = _posted(CalendarForm())
    chosen = form.calendar_id.data
    try:
        if chosen == NEW_CALENDAR:
            if not has_scope(connection, CALENDAR_APP_CREATED):
                # Incremental authorisation: ask for this one extra scope only now.
                return authorization_redirect(
                    current_user.id,
                    PURPOSE_NEW_CALENDAR,
                    login_hint=connection.google_email,
                    extra_scopes=(CALENDAR_APP_CREATED,),
                )
            create_dedicated_calendar(current_user, connection)
            changed = True
        else:
            entry = _writable_entry(connection, chosen)
            changed = choose_calendar(connection, entry["id"], entry.get("summary") or chosen)
    except ConnectionRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return back_to_card()
    db.session.commit()
    if changed:
        enqueue.enqueue_initial_import(connection.id)
    return back_to_card()


def _writable_entry(connection: GoogleConnection, calendar_id: str) -> dict:
    # Re-check at Google: a hand-made form must not target a calendar we cannot write.
    for entry in writable_calendars(connection):
        if entry["id"] == calendar_id:
            return entry
    abort(400)


@bp.post("/privacy")
@login_required
def privacy():
    """Change how much of each event Google sees: showing Google more is asked first."""
    connection = _active_connection()
    form = _posted(PrivacyForm())
    level = form.privacy_level.data
    if widens(connection.privacy_level, level) and not form.confirm.data:
        return render_card(privacy_question=level)
    updated = set_privacy_level(connection, level)
    message = None if updated is None else changed_message(level, updated)
    # The commit enqueues the push of the events it queued again (worker/enqueue.py).
    db.session.commit()
    if is_htmx():
        return render_card(privacy_message=message)
    if message:
        flash(message, "success")
    return back_to_card()


@bp.get("/disconnect")
@login_required
def confirm_disconnect():
    """Ask whether to keep or remove the events Coordinoter put on Google."""
    connection = _disconnectable()
    return render(
        "integrations/disconnect.html",
        "integrations/_disconnect_form.html",
        form=DisconnectForm(),
        connection=connection,
    )


@bp.post("/disconnect")
@login_required
def disconnect():
    """Stop syncing now; a job stops channels, tidies Google up as asked, and revokes."""
    connection = _disconnectable()
    form = _posted(DisconnectForm())
    remove_events = form.remove_events.data == "remove"
    request_disconnect(connection, remove_events)
    db.session.commit()
    enqueue.enqueue_disconnect(connection.id, remove_events)
    return back_to_card()
