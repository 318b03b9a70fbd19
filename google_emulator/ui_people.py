"""UI for what others put in a calendar: "someone invited you", the organiser's changes,
answering an invitation, and losing a calendar (deleted or unshared)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for

from .app import get_state
from .errors import ApiError
from .invitations import RESPONSES
from .ui import _back, _body_from_form

bp = Blueprint("ui_people", __name__)


def _message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc)


@bp.post("/ui/calendars/<calendar_id>/invitations")
def invite(calendar_id: str) -> Any:
    """Someone else invites the calendar's owner (the form names the organiser)."""
    state = get_state()
    cal = state.calendar(calendar_id)
    form = request.form
    try:
        body = _body_from_form(form, cal.time_zone)
        body = {k: v for k, v in body.items() if v is not None}
        body["organizer"] = {"email": form.get("organizer_email", "").strip()}
        if form.get("organizer_name", "").strip():
            body["organizer"]["displayName"] = form["organizer_name"].strip()
        event = state.invite(calendar_id, body)
    except (ApiError, ValueError, KeyError) as exc:
        return _back(cal.owner, error=_message(exc))
    return _back(cal.owner, notice=f"Invitation “{event.get('summary', '')}” received.")


@bp.post("/ui/calendars/<calendar_id>/events/<event_id>/respond")
def respond(calendar_id: str, event_id: str) -> Any:
    """The owner answers an invitation (accepted, tentative, declined)."""
    state = get_state()
    cal = state.calendar(calendar_id)
    answer = request.form.get("response", "")
    if answer not in RESPONSES:
        return _back(cal.owner, error="Unknown answer.")
    try:
        state.user_patch_event(
            calendar_id, event_id, {"attendees": [{"email": cal.owner, "responseStatus": answer}]}
        )
    except ApiError as exc:
        return _back(cal.owner, error=exc.message)
    return _back(cal.owner, notice=f"Answered {answer}.")


@bp.post("/ui/calendars/<calendar_id>/events/<event_id>/as-organizer")
def organizer_save(calendar_id: str, event_id: str) -> Any:
    """The organiser changes the invitation from the edit form."""
    state = get_state()
    cal = state.calendar(calendar_id)
    try:
        body = _body_from_form(request.form, cal.time_zone)
        body.pop("recurrence", None)
        state.organizer_patch_event(calendar_id, event_id, body)
    except (ApiError, ValueError, KeyError) as exc:
        return redirect(
            url_for(
                "ui.edit_event", calendar_id=calendar_id, event_id=event_id, error=_message(exc)
            )
        )
    return _back(cal.owner, notice="The organiser changed the event.")


@bp.post("/ui/calendars/<calendar_id>/remove")
def remove(calendar_id: str) -> Any:
    """Delete the calendar, or stop sharing it with its user (form field how)."""
    state = get_state()
    cal = state.calendar(calendar_id)
    how = request.form.get("how", "deleted")
    try:
        state.remove_calendar(calendar_id, how)
    except ValueError as exc:
        return _back(cal.owner, error=str(exc))
    return _back(cal.owner, notice=f"Calendar {cal.summary} {how}.")
