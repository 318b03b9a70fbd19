"""Control API for what other people and Google itself put in a user's calendar.

Invitations someone else organises (and later changes or cancels), events Gmail or Google
Contacts add, and calendars the user loses (deleted, or no longer shared). JSON, no auth:
bind it to loopback, like the rest of /_emulator.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from .app import get_state
from .errors import ApiError

bp = Blueprint("control_people", __name__, url_prefix="/_emulator")


@bp.errorhandler(KeyError)
def _missing(exc: KeyError) -> tuple[Response, int]:
    return jsonify({"error": "not_found", "detail": str(exc)}), 404


@bp.errorhandler(ValueError)
@bp.errorhandler(TypeError)
def _bad(exc: Exception) -> tuple[Response, int]:
    return jsonify({"error": "bad_request", "detail": str(exc)}), 400


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return exc.response()


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


@bp.post("/calendars/<calendar_id>/invitations")
def invite(calendar_id: str) -> tuple[Response, int]:
    """Someone invites the owner: {organizer: {email, displayName?}, responseStatus?, ...}."""
    return jsonify(get_state().invite(calendar_id, _json())), 201


@bp.patch("/calendars/<calendar_id>/invitations/<event_id>")
def organizer_patch(calendar_id: str, event_id: str) -> Response:
    """The organiser changes the invitation (title, time, guests ...): a patch."""
    return jsonify(get_state().organizer_patch_event(calendar_id, event_id, _json()))


@bp.delete("/calendars/<calendar_id>/invitations/<event_id>")
def organizer_cancel(calendar_id: str, event_id: str) -> tuple[str, int]:
    """The organiser cancels the event."""
    get_state().organizer_cancel_event(calendar_id, event_id)
    return "", 204


@bp.post("/calendars/<calendar_id>/google-events")
def google_event(calendar_id: str) -> tuple[Response, int]:
    """Gmail or Contacts adds an event (eventType fromGmail, or a contact's birthday)."""
    return jsonify(get_state().google_insert_event(calendar_id, _json())), 201


@bp.delete("/calendars/<calendar_id>")
def delete_calendar(calendar_id: str) -> tuple[str, int]:
    """The calendar is deleted in Google: every call on it answers 404 notFound."""
    get_state().remove_calendar(calendar_id, "deleted")
    return "", 204


@bp.post("/calendars/<calendar_id>/unshare")
def unshare_calendar(calendar_id: str) -> Response:
    """The calendar is no longer shared with its user: every call answers 404 notFound."""
    get_state().remove_calendar(calendar_id, "unshared")
    return jsonify({"ok": True})


@bp.post("/calendars/<calendar_id>/restore")
def restore_calendar(calendar_id: str) -> Response:
    """The user reaches the calendar again (its old channels stay silent)."""
    get_state().restore_calendar(calendar_id)
    return jsonify({"ok": True})
