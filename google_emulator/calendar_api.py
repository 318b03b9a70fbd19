"""Calendar v3 REST endpoints under /calendar/v3."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import Blueprint, Response, request

from . import conference, listing, timefmt, writes
from . import scopes as sc
from .app import bearer_token, get_state, google_method
from .errors import ApiError, json_response, unauthorized
from .model import AccessToken, Calendar

bp = Blueprint("calendar", __name__, url_prefix="/calendar/v3")


def _auth() -> AccessToken:
    record = get_state().authenticate(bearer_token())
    if record is None:
        raise unauthorized()
    request.environ["gemu.user"] = record.email
    request.environ["gemu.client"] = record.client_id
    return record


def _insufficient() -> ApiError:
    return ApiError(
        403, "insufficientPermissions", "Request had insufficient authentication scopes."
    )


def _require(token: AccessToken, allowed: set[str], cal: Calendar | None = None) -> None:
    granted = set(token.scopes)
    if granted & allowed:
        return
    # calendar.app.created reaches only the calendars this very client created.
    if sc.APP_CREATED in granted and cal is not None and cal.created_by_client == token.client_id:
        return
    raise _insufficient()


def _calendar(token: AccessToken, calendar_id: str, allowed: set[str]) -> Calendar:
    state = get_state()
    granted = set(token.scopes)
    if not granted & allowed and sc.APP_CREATED not in granted:
        raise _insufficient()
    cal = state.resolve_calendar(token.email, calendar_id)
    _require(token, allowed, cal)
    return cal


def _body() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "parseError", "Parse Error") from None
    if not isinstance(body, dict):
        raise ApiError(400, "badRequest", "Bad Request")
    return body


def _how() -> writes.Write:
    """An API client's write, with its conferenceDataVersion (conference.py)."""
    return writes.Write(writes.API, conference.version(request.args.get("conferenceDataVersion")))


def _event_response(cal: Calendar, data: dict[str, Any]) -> Response:
    resp = json_response(get_state().render(cal, data))
    resp.headers["ETag"] = data["etag"]
    return resp


def _offset_token(value: int) -> str:
    return base64.urlsafe_b64encode(f"o:{value}".encode()).decode().rstrip("=")


def _offset(text: str | None) -> int:
    if not text:
        return 0
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        return int(raw.split(":", 1)[1])
    except (ValueError, IndexError):
        raise ApiError(
            400,
            "invalid",
            "Invalid page token value.",
            location="pageToken",
            location_type="parameter",
        ) from None


# ------------------------------------------------------------------ calendarList, calendars


@bp.route("/users/me/calendarList", methods=["GET"])
@google_method("calendar.calendarList.list")
def calendar_list() -> Response:
    """calendarList.list."""
    token = _auth()
    _require(token, sc.CALENDARLIST_READ)
    state = get_state()
    try:
        size = min(int(request.args.get("maxResults", 100)), 250)
    except ValueError:
        raise ApiError(400, "invalid", "Invalid value for: maxResults") from None
    if size < 1:
        raise ApiError(400, "invalid", "Invalid value for: maxResults")
    start = _offset(request.args.get("pageToken"))
    with state.lock:
        cals = state.calendars_of(token.email)
        entries = [state.render_list_entry(c) for c in cals]
        etag = state.calendar_etag(cals[0]) if cals else '"0"'
    page = entries[start : start + size]
    body: dict[str, Any] = {"kind": "calendar#calendarList", "etag": etag}
    if start + size < len(entries):
        body["nextPageToken"] = _offset_token(start + size)
    body["items"] = page
    return json_response(body)


@bp.route("/users/me/calendarList/<calendar_id>", methods=["GET"])
@google_method("calendar.calendarList.get")
def calendar_list_get(calendar_id: str) -> Response:
    """calendarList.get."""
    token = _auth()
    cal = _calendar(token, calendar_id, sc.CALENDARLIST_READ)
    return json_response(get_state().render_list_entry(cal))


@bp.route("/calendars", methods=["POST"])
@google_method("calendar.calendars.insert")
def calendars_insert() -> Response:
    """calendars.insert: a secondary calendar owned by the user."""
    token = _auth()
    granted = set(token.scopes)
    if not granted & (sc.CALENDARS_CREATE | {sc.APP_CREATED}):
        raise _insufficient()
    body = _body()
    summary = body.get("summary")
    if not summary or not isinstance(summary, str):
        raise ApiError(
            400, "required", "Missing title.", location="summary", location_type="parameter"
        )
    state = get_state()
    tz = body.get("timeZone")
    if tz is not None and not timefmt.is_zone(tz):
        raise ApiError(
            400, "invalid", "Invalid time zone.", location="timeZone", location_type="parameter"
        )
    cal_id = state.add_calendar(
        token.email, summary, tz, body.get("description"), created_by_client=token.client_id
    )
    return json_response(state.render_calendar(state.calendar(cal_id)))


@bp.route("/calendars/<calendar_id>", methods=["GET"])
@google_method("calendar.calendars.get")
def calendars_get(calendar_id: str) -> Response:
    """calendars.get."""
    token = _auth()
    cal = _calendar(token, calendar_id, sc.CALENDARS_READ)
    return json_response(get_state().render_calendar(cal))


# ------------------------------------------------------------------ events


@bp.route("/calendars/<calendar_id>/events", methods=["GET"])
@google_method("calendar.events.list")
def events_list(calendar_id: str) -> Response:
    """events.list, with paging and sync tokens."""
    token = _auth()
    cal = _calendar(token, calendar_id, sc.EVENTS_READ)
    state = get_state()
    query = listing.parse_query(request.args, state.page_size_cap)
    return json_response(state.list_page(cal, query))


@bp.route("/calendars/<calendar_id>/events", methods=["POST"])
@google_method("calendar.events.insert")
def events_insert(calendar_id: str) -> Response:
    """events.insert."""
    token = _auth()
    cal = _calendar(token, calendar_id, sc.EVENTS_WRITE)
    return _event_response(cal, get_state().insert_event(cal, _body(), _how()))


@bp.route("/calendars/<calendar_id>/events/watch", methods=["POST"])
@google_method("calendar.events.watch")
def events_watch(calendar_id: str) -> Response:
    """events.watch: open a push channel."""
    token = _auth()
    cal = _calendar(token, calendar_id, sc.EVENTS_READ)
    answer = get_state().watch(cal, calendar_id, token.email, token.client_id, _body())
    return json_response(answer)


@bp.route("/calendars/<calendar_id>/events/<event_id>", methods=["GET"])
@google_method("calendar.events.get")
def events_get(calendar_id: str, event_id: str) -> Response:
    """events.get (deleted events come back with status cancelled)."""
    token = _auth()
    cal = _calendar(token, calendar_id, sc.EVENTS_READ)
    data = get_state().fetch_event(cal, event_id)
    if request.headers.get("If-None-Match") == data.get("etag"):
        return Response(status=304)
    return _event_response(cal, data)


@bp.route("/calendars/<calendar_id>/events/<event_id>", methods=["PATCH"])
@google_method("calendar.events.patch")
def events_patch(calendar_id: str, event_id: str) -> Response:
    """events.patch."""
    token = _auth()
    cal = _calendar(token, calendar_id, sc.EVENTS_WRITE)
    data = get_state().write_event(
        cal,
        event_id,
        _body(),
        replace=False,
        if_match=request.headers.get("If-Match"),
        how=_how(),
    )
    return _event_response(cal, data)


@bp.route("/calendars/<calendar_id>/events/<event_id>", methods=["PUT"])
@google_method("calendar.events.update")
def events_update(calendar_id: str, event_id: str) -> Response:
    """events.update."""
    token = _auth()
    cal = _calendar(token, calendar_id, sc.EVENTS_WRITE)
    data = get_state().write_event(
        cal,
        event_id,
        _body(),
        replace=True,
        if_match=request.headers.get("If-Match"),
        how=_how(),
    )
    return _event_response(cal, data)


@bp.route("/calendars/<calendar_id>/events/<event_id>", methods=["DELETE"])
@google_method("calendar.events.delete")
def events_delete(calendar_id: str, event_id: str) -> Response:
    """events.delete: 204 with an empty body."""
    token = _auth()
    cal = _calendar(token, calendar_id, sc.EVENTS_WRITE)
    get_state().delete_event(cal, event_id, if_match=request.headers.get("If-Match"))
    return Response(status=204)


@bp.route("/calendars/<calendar_id>/events/<event_id>/instances", methods=["GET"])
@google_method("calendar.events.instances")
def events_instances(calendar_id: str, event_id: str) -> Response:
    """events.instances: one series expanded."""
    token = _auth()
    cal = _calendar(token, calendar_id, sc.EVENTS_READ)
    state = get_state()
    args = request.args.copy()
    args.pop("syncToken", None)
    query = listing.parse_query(args, state.page_size_cap)
    return json_response(state.instances_page(cal, event_id, query))


@bp.route("/channels/stop", methods=["POST"])
@google_method("calendar.channels.stop")
def channels_stop() -> Response:
    """channels.stop: 204 with an empty body."""
    token = _auth()
    _require(token, sc.ANY_CALENDAR)
    get_state().stop_channel(token.email, token.client_id, _body())
    return Response(status=204)
