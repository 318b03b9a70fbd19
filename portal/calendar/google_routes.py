"""The calendar's views of Google's own kinds of event: their dialog and the invitation answer."""

from __future__ import annotations

from flask import Blueprint, request, url_for
from flask_login import current_user, login_required

from portal.calendar.google_form import GoogleEventForm, google_facts, initial_for_google_event
from portal.calendar.operations import ANSWERS, answer_invitation, update_event
from portal.calendar.view_support import first_day, live_event, saved, viewer_zone
from portal.core.htmx import render
from portal.extensions import db
from portal.google.sync import kinds
from portal.models import Event
from portal.participants.queries import participants_of

bp = Blueprint("calendar_google", __name__, url_prefix="/calendar")


@bp.post("/events/<int:event_id>/answer")
@login_required
def answer(event_id: int):
    """The coordinator's answer to an invitation (going, maybe, not going), sent to Google."""
    event = live_event(event_id)
    if not kinds.can_answer(event) or request.form.get("response") not in ANSWERS:
        return show_google(event, 400, error="Choose Going, Maybe or Not going.")
    answer_invitation(event, request.form["response"])
    db.session.commit()
    return saved(event)


def show_google(event: Event, status: int = 200, form=None, error: str = ""):
    """The dialog of one of Google's own kinds of event (google_form.py)."""
    form = form or GoogleEventForm(
        participants_of(current_user.business_id, keeping=event.participant_id),
        event,
        data=initial_for_google_event(event),
    )
    return render(
        "calendar/event.html",
        "calendar/_google_event.html",
        status,
        dialog="calendar/_google_event.html",
        form=form,
        event=event,
        facts=google_facts(event, viewer_zone()),
        error=error,
        back=url_for("calendar.week", week=first_day(event).isoformat()),
    )


def save_google(event: Event):
    """Save what the Google dialog may change; the dialog again with a 400 when wrong."""
    kept = participants_of(current_user.business_id, keeping=event.participant_id)
    form = GoogleEventForm(kept, event)
    if not form.validate_on_submit():
        return show_google(event, 400, form)
    update_event(event, form.to_data(event))
    db.session.commit()
    return saved(event)
