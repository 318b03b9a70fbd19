"""A small web UI: users, their calendars and events, edited as a person in Google Calendar."""

from __future__ import annotations

import base64
import html
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, redirect, render_template, request, url_for

from . import conference, timefmt
from .app import get_state
from .errors import ApiError

bp = Blueprint("ui", __name__)

ZONES = [
    "Australia/Sydney",
    "Australia/Melbourne",
    "Australia/Brisbane",
    "Australia/Adelaide",
    "Australia/Perth",
    "Australia/Hobart",
    "Australia/Darwin",
    "Pacific/Auckland",
    "UTC",
    "Europe/London",
    "America/New_York",
]


def _back(email: str, error: str | None = None, notice: str | None = None) -> Any:
    params = {}
    if error:
        params["error"] = error
    if notice:
        params["notice"] = notice
    return redirect(url_for("ui.user_page", email=email, **params))


def _body_from_form(form: Any, default_tz: str) -> dict[str, Any]:
    """An Event body from the event form."""
    body: dict[str, Any] = {
        "summary": form.get("summary", "").strip(),
        "location": form.get("location", "").strip() or None,
        "description": form.get("description", "").strip() or None,
    }
    if form.get("all_day"):
        start = date.fromisoformat(form["start_date"])
        end_text = form.get("end_date") or form["start_date"]
        # People pick an inclusive last day; Google stores an exclusive end date.
        end = date.fromisoformat(end_text) + timedelta(days=1)
        body["start"] = {"date": start.isoformat()}
        body["end"] = {"date": end.isoformat()}
    else:
        tz = form.get("time_zone") or default_tz
        body["start"] = {
            "dateTime": form["start"] + (":00" if len(form["start"]) == 16 else ""),
            "timeZone": tz,
        }
        end_text = form.get("end") or form["start"]
        body["end"] = {
            "dateTime": end_text + (":00" if len(end_text) == 16 else ""),
            "timeZone": tz,
        }
    if form.get("event_type", "default") != "default":
        body["eventType"] = form["event_type"]
    if form.get("meet"):
        body["conferenceData"] = conference.meet()
    recurrence = [line.strip() for line in form.get("recurrence", "").splitlines() if line.strip()]
    if recurrence:
        body["recurrence"] = recurrence
    elif form.get("had_recurrence"):
        body["recurrence"] = None
    return body


def _display(event: dict[str, Any], tz: str) -> dict[str, Any]:
    """Fields the templates show for an event."""
    start, end = event.get("start", {}), event.get("end", {})
    if "date" in start:
        last = date.fromisoformat(end["date"]) - timedelta(days=1)
        when = start["date"] + ("" if last.isoformat() == start["date"] else f" – {last}")
        when += " (all day)"
    else:
        zone = start.get("timeZone") or tz
        s = timefmt.parse_rfc3339(start["dateTime"]).astimezone(timefmt.zone(zone))
        e = timefmt.parse_rfc3339(end["dateTime"]).astimezone(timefmt.zone(zone))
        when = f"{s:%a %d %b %Y %H:%M} – {e:%H:%M} ({zone})"
    organizer = event.get("organizer") or {}
    mine = next((a for a in event.get("attendees") or [] if a.get("self")), None)
    invited_by = None
    if not organizer.get("self") and mine is not None:
        invited_by = organizer.get("displayName") or organizer.get("email")
    return {
        **event,
        "when": when,
        "invited_by": invited_by,
        "my_answer": (mine or {}).get("responseStatus"),
    }


def _form_values(event: dict[str, Any], tz: str) -> dict[str, Any]:
    start, end = event["start"], event["end"]
    values: dict[str, Any] = {
        "summary": event.get("summary", ""),
        "location": event.get("location", ""),
        "description": event.get("description", ""),
        "recurrence": "\n".join(event.get("recurrence") or []),
        "all_day": "date" in start,
        "time_zone": start.get("timeZone") or tz,
    }
    if values["all_day"]:
        values["start_date"] = start["date"]
        values["end_date"] = (date.fromisoformat(end["date"]) - timedelta(days=1)).isoformat()
    else:
        zone = timefmt.zone(values["time_zone"])
        values["start"] = (
            f"{timefmt.parse_rfc3339(start['dateTime']).astimezone(zone):%Y-%m-%dT%H:%M}"
        )
        values["end"] = f"{timefmt.parse_rfc3339(end['dateTime']).astimezone(zone):%Y-%m-%dT%H:%M}"
    return values


@bp.get("/")
def index() -> str:
    """Accounts and OAuth clients."""
    state = get_state()
    return render_template(
        "index.html",
        users=state.users_list(),
        clients=state.clients_list(),
        zones=ZONES,
        error=request.args.get("error"),
    )


@bp.post("/ui/users")
def add_user() -> Any:
    """Create an account."""
    state = get_state()
    email = request.form.get("email", "").strip()
    if not email or "@" not in email:
        return redirect(url_for("ui.index", error="An email address is required."))
    try:
        state.add_user(
            email,
            request.form.get("name") or None,
            request.form.get("time_zone") or "Australia/Sydney",
        )
    except ValueError as exc:
        return redirect(url_for("ui.index", error=str(exc)))
    return redirect(url_for("ui.user_page", email=email))


@bp.post("/ui/clients")
def add_client() -> Any:
    """Register an OAuth client."""
    form = request.form
    uris = [u.strip() for u in form.get("redirect_uris", "").split() if u.strip()]
    if not form.get("client_id") or not form.get("client_secret"):
        return redirect(url_for("ui.index", error="Client id and secret are required."))
    get_state().add_client(
        form["client_id"].strip(), form["client_secret"].strip(), uris, form.get("name", "").strip()
    )
    return redirect(url_for("ui.index"))


@bp.get("/ui/users/<email>")
def user_page(email: str) -> Any:
    """A user's calendars, upcoming events and connected apps."""
    state = get_state()
    with state.lock:
        user = state.users.get(email)
        if user is None:
            return redirect(url_for("ui.index", error=f"No account {email}"))
        now = timefmt.utcnow()
        today = timefmt.date_start(
            now.astimezone(timefmt.zone(user.time_zone)).date(), user.time_zone
        )
        days = int(request.args.get("days", 30))
        calendars = []
        for cal in state.calendars_of(email):
            upcoming = state.expand(cal.id, today, today + timedelta(days=days))
            calendars.append(
                {
                    "id": cal.id,
                    "summary": cal.summary,
                    "time_zone": cal.time_zone,
                    "primary": cal.primary,
                    "events": [_display(e, cal.time_zone) for e in upcoming],
                }
            )
        grants = state.grants_of(email)
    start_default = (now + timedelta(hours=1)).astimezone(timefmt.zone(user.time_zone))
    start_default = start_default.replace(minute=0, second=0, microsecond=0)
    return render_template(
        "user.html",
        user=user,
        calendars=calendars,
        grants=grants,
        zones=ZONES,
        days=days,
        error=request.args.get("error"),
        notice=request.args.get("notice"),
        defaults={
            "start": f"{start_default:%Y-%m-%dT%H:%M}",
            "end": f"{start_default + timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "start_date": f"{start_default:%Y-%m-%d}",
            "end_date": f"{start_default:%Y-%m-%d}",
            "time_zone": user.time_zone,
        },
    )


@bp.post("/ui/users/<email>/calendars")
def add_calendar(email: str) -> Any:
    """Create a secondary calendar."""
    summary = request.form.get("summary", "").strip()
    if not summary:
        return _back(email, error="A calendar name is required.")
    get_state().add_calendar(email, summary, request.form.get("time_zone") or None)
    return _back(email, notice=f"Calendar {summary} created.")


@bp.post("/ui/calendars/<calendar_id>/events")
def create_event(calendar_id: str) -> Any:
    """Create an event from the form."""
    state = get_state()
    cal = state.calendar(calendar_id)
    try:
        body = _body_from_form(request.form, cal.time_zone)
        body = {k: v for k, v in body.items() if v is not None}
        event = state.user_insert_event(calendar_id, body)
    except (ApiError, ValueError, KeyError) as exc:
        return _back(cal.owner, error=getattr(exc, "message", str(exc)))
    return _back(cal.owner, notice=f"Created “{event.get('summary', '')}”.")


@bp.get("/ui/calendars/<calendar_id>/events/<event_id>/edit")
def edit_event(calendar_id: str, event_id: str) -> Any:
    """The edit form of an event or one instance of a series."""
    state = get_state()
    cal = state.calendar(calendar_id)
    event = state.get_event(calendar_id, event_id, include_deleted=False)
    if event is None:
        return _back(cal.owner, error="That event no longer exists.")
    return render_template(
        "event_edit.html",
        cal=cal,
        event=event,
        values=_form_values(event, cal.time_zone),
        zones=ZONES,
        error=request.args.get("error"),
    )


@bp.post("/ui/calendars/<calendar_id>/events/<event_id>")
def save_event(calendar_id: str, event_id: str) -> Any:
    """Save the edit form (a patch, as Google Calendar's editor does)."""
    state = get_state()
    cal = state.calendar(calendar_id)
    try:
        body = _body_from_form(request.form, cal.time_zone)
        if "_" in event_id:
            body.pop("recurrence", None)
        state.user_patch_event(calendar_id, event_id, body)
    except (ApiError, ValueError, KeyError) as exc:
        message = getattr(exc, "message", str(exc))
        return redirect(
            url_for("ui.edit_event", calendar_id=calendar_id, event_id=event_id, error=message)
        )
    return _back(cal.owner, notice="Event saved.")


@bp.post("/ui/calendars/<calendar_id>/events/<event_id>/delete")
def delete_event(calendar_id: str, event_id: str) -> Any:
    """Delete an event (or one instance)."""
    state = get_state()
    cal = state.calendar(calendar_id)
    try:
        state.user_delete_event(calendar_id, event_id)
    except ApiError as exc:
        return _back(cal.owner, error=exc.message)
    return _back(cal.owner, notice="Event deleted.")


@bp.post("/ui/users/<email>/grants/<client_id>/revoke")
def remove_access(email: str, client_id: str) -> Any:
    """Remove an app's access (revokes the grant and its tokens)."""
    get_state().revoke_grants(email, client_id)
    return _back(email, notice=f"Access removed for {client_id}.")


@bp.get("/ui/avatar/<email>")
def avatar(email: str) -> Response:
    """A generated profile picture (the `picture` claim points here)."""
    initial = html.escape((email[:1] or "?").upper())
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96">'
        '<circle cx="48" cy="48" r="48" fill="#1a73e8"/>'
        f'<text x="48" y="62" font-size="44" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{initial}</text></svg>'
    )
    return Response(svg, content_type="image/svg+xml")


@bp.get("/calendar/event")
def html_link() -> Any:
    """Where an event's htmlLink lands: its edit page."""
    eid = request.args.get("eid", "")
    try:
        raw = base64.urlsafe_b64decode(eid + "=" * (-len(eid) % 4)).decode()
        event_id, calendar_id = raw.split(" ", 1)
        get_state().calendar(calendar_id)
    except (ValueError, KeyError):
        return redirect(url_for("ui.index", error="Unknown event link."))
    return redirect(f"/ui/calendars/{quote(calendar_id)}/events/{quote(event_id)}/edit")
