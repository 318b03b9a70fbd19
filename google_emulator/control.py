"""JSON control API under /_emulator/ for tests and demos (no auth: bind it to loopback)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from . import timefmt
from .app import get_state
from .errors import ApiError

bp = Blueprint("control", __name__, url_prefix="/_emulator")


@bp.errorhandler(KeyError)
def _missing(exc: KeyError) -> tuple[Response, int]:
    return jsonify({"error": "not_found", "detail": str(exc)}), 404


@bp.errorhandler(ValueError)
@bp.errorhandler(TypeError)
def _bad(exc: Exception) -> tuple[Response, int]:
    return jsonify({"error": "bad_request", "detail": str(exc)}), 400


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


def _flag(name: str) -> bool:
    return (request.args.get(name) or "").lower() in ("1", "true", "yes")


@bp.get("/state")
def summary() -> Response:
    """Users, clients, calendars and configuration at a glance."""
    state = get_state()
    with state.lock:
        calendars = [
            {
                "id": c.id,
                "owner": c.owner,
                "summary": c.summary,
                "timeZone": c.time_zone,
                "primary": c.primary,
                "events": len(c.events),
                "gone": c.gone,
            }
            for c in state.calendars.values()
        ]
    return jsonify(
        {
            "users": state.users_list(),
            "clients": state.clients_list(),
            "calendars": calendars,
            "config": state.config(),
            "url": state.base_url,
        }
    )


@bp.get("/clients")
def clients() -> Response:
    """Registered OAuth clients."""
    return jsonify(get_state().clients_list())


@bp.post("/clients")
def add_client() -> tuple[Response, int]:
    """Register an OAuth client: {client_id, client_secret, redirect_uris, name?}."""
    body = _json()
    client = get_state().add_client(
        body["client_id"],
        body["client_secret"],
        list(body.get("redirect_uris") or []),
        body.get("name", ""),
    )
    return jsonify(client), 201


@bp.get("/users")
def users() -> Response:
    """Every user."""
    return jsonify(get_state().users_list())


@bp.post("/users")
def add_user() -> tuple[Response, int]:
    """Create a user with a primary calendar: {email, name?, time_zone?}."""
    body = _json()
    user = get_state().add_user(
        body["email"], body.get("name"), body.get("time_zone") or "Australia/Sydney"
    )
    return jsonify(user), 201


@bp.get("/users/<email>/calendars")
def user_calendars(email: str) -> Response:
    """A user's calendars as calendarList entries."""
    state = get_state()
    if email not in state.users:
        raise KeyError(email)
    return jsonify([state.render_list_entry(c) for c in state.calendars_of(email)])


@bp.post("/users/<email>/calendars")
def add_calendar(email: str) -> tuple[Response, int]:
    """Create a secondary calendar: {summary, time_zone?, description?}."""
    body = _json()
    state = get_state()
    cal_id = state.add_calendar(
        email, body["summary"], body.get("time_zone"), body.get("description")
    )
    return jsonify(state.render_calendar(state.calendar(cal_id))), 201


@bp.get("/users/<email>/grants")
def user_grants(email: str) -> Response:
    """The apps a user has connected."""
    return jsonify(get_state().grants_of(email))


@bp.post("/users/<email>/revoke")
def revoke(email: str) -> Response:
    """Revoke a user's grants: {client_id?} (all clients when absent)."""
    count = get_state().revoke_grants(email, _json().get("client_id"))
    return jsonify({"revoked": count})


@bp.get("/calendars/<calendar_id>/events")
def list_events(calendar_id: str) -> Response:
    """Stored events (?include_deleted=true for tombstones too)."""
    return jsonify(get_state().list_events(calendar_id, include_deleted=_flag("include_deleted")))


@bp.post("/calendars/<calendar_id>/events")
def insert_event(calendar_id: str) -> tuple[Response, int]:
    """Create an event as the user would in Google Calendar."""
    return jsonify(get_state().user_insert_event(calendar_id, _json())), 201


@bp.post("/calendars/<calendar_id>/raw-events")
def store_raw_event(calendar_id: str) -> tuple[Response, int]:
    """Store an event exactly as given, past the API's checks (e.g. a start with no end)."""
    return jsonify(get_state().store_as_is(calendar_id, _json())), 201


@bp.get("/calendars/<calendar_id>/events/<event_id>")
def get_event(calendar_id: str, event_id: str) -> Response:
    """One event (or instance), deleted ones included."""
    event = get_state().get_event(calendar_id, event_id, include_deleted=True)
    if event is None:
        raise KeyError(event_id)
    return jsonify(event)


@bp.patch("/calendars/<calendar_id>/events/<event_id>")
def patch_event(calendar_id: str, event_id: str) -> Response:
    """Change some fields of an event as the user would."""
    return jsonify(get_state().user_patch_event(calendar_id, event_id, _json()))


@bp.put("/calendars/<calendar_id>/events/<event_id>")
def update_event(calendar_id: str, event_id: str) -> Response:
    """Replace an event as the user would."""
    return jsonify(get_state().user_update_event(calendar_id, event_id, _json()))


@bp.delete("/calendars/<calendar_id>/events/<event_id>")
def delete_event(calendar_id: str, event_id: str) -> tuple[str, int]:
    """Delete an event (or one instance) as the user would."""
    get_state().user_delete_event(calendar_id, event_id)
    return "", 204


@bp.get("/calendars/<calendar_id>/expand")
def expand(calendar_id: str) -> Response:
    """Instances between ?time_min= and ?time_max= (RFC 3339), like singleEvents=true."""
    lo = request.args.get("time_min")
    hi = request.args.get("time_max")
    return jsonify(
        get_state().expand(
            calendar_id,
            timefmt.parse_rfc3339(lo) if lo else None,
            timefmt.parse_rfc3339(hi) if hi else None,
        )
    )


@bp.post("/calendars/<calendar_id>/invalidate-sync-tokens")
def invalidate(calendar_id: str) -> Response:
    """Make the calendar's sync tokens answer 410 fullSyncRequired."""
    get_state().invalidate_sync_tokens(calendar_id)
    return jsonify({"ok": True})


@bp.get("/faults")
def faults() -> Response:
    """Pending API faults."""
    return jsonify(get_state().faults())


@bp.post("/faults")
def add_fault() -> tuple[Response, int]:
    """Queue a fault: {method, status, reason?, count?, delay?, retry_after?}."""
    body = _json()
    status = body.get("status")
    get_state().add_fault(
        body.get("method", "*"),
        int(status) if status is not None else None,
        body.get("reason"),
        int(body.get("count", 1)),
        float(body.get("delay", 0.0)),
        body.get("retry_after"),
    )
    return jsonify(get_state().faults()), 201


@bp.delete("/faults")
def clear_faults() -> tuple[str, int]:
    """Forget pending faults."""
    get_state().clear_faults()
    return "", 204


@bp.get("/notification-faults")
def notification_faults() -> Response:
    """Pending notification faults."""
    return jsonify(get_state().notifier.faults())


@bp.post("/notification-faults")
def set_notification_faults() -> Response:
    """Set notification faults: {drop?, duplicate?, delay?, reorder?}."""
    body = _json()
    get_state().set_notification_faults(
        drop=int(body.get("drop", 0)),
        duplicate=int(body.get("duplicate", 0)),
        delay=float(body.get("delay", 0.0)),
        reorder=int(body.get("reorder", 0)),
    )
    return jsonify(get_state().notifier.faults())


@bp.post("/notifications/wait")
def wait_notifications() -> Response:
    """Wait until queued notifications were attempted: {timeout?}."""
    done = get_state().wait_notifications(float(_json().get("timeout", 5.0)))
    return jsonify({"idle": done})


@bp.post("/tokens/expire")
def expire_tokens() -> Response:
    """Expire access tokens now: {email?}."""
    return jsonify({"expired": get_state().expire_access_tokens(_json().get("email"))})


@bp.get("/channels")
def channels() -> Response:
    """Every channel with delivery counters."""
    return jsonify(get_state().channels())


@bp.post("/channels/<channel_id>/expire")
def expire_channel(channel_id: str) -> Response:
    """End a channel as if it expired."""
    get_state().expire_channel(channel_id)
    return jsonify({"ok": True})


@bp.post("/channels/<channel_id>/silence")
def silence_channel(channel_id: str) -> Response:
    """Keep a channel open but stop delivering on it."""
    get_state().silence_channel(channel_id)
    return jsonify({"ok": True})


@bp.get("/requests")
def request_log() -> Response:
    """The request log (?method= to filter)."""
    entries = get_state().request_log()
    method = request.args.get("method")
    if method:
        entries = [e for e in entries if e.get("method") == method]
    return jsonify(entries)


@bp.delete("/requests")
def clear_requests() -> tuple[str, int]:
    """Empty the request log."""
    get_state().clear_request_log()
    return "", 204


@bp.get("/requests/counts")
def request_counts() -> Response:
    """Calls per Google method id."""
    return jsonify(get_state().request_counts())


@bp.post("/reset")
def reset() -> Response:
    """Forget everything."""
    get_state().reset()
    return jsonify({"ok": True})


@bp.get("/config")
def get_config() -> Response:
    """Configuration values."""
    return jsonify(get_state().config())


@bp.put("/config")
@bp.patch("/config")
def set_config() -> Response:
    """Change configuration: {token_lifetime?, page_size_cap?, user_quota_per_minute?, ...}."""
    return jsonify(get_state().configure(**_json()))


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return exc.response()
