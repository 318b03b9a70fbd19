"""The calendar's pages that show time: the week, three days or a day, and its live poll."""

from __future__ import annotations

from datetime import date

from flask import current_app, g, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.auth.access import is_admin
from portal.calendar.blueprint import NO_STORE, bp
from portal.calendar.cards import Cards
from portal.calendar.layout import Span, build_week, view_span
from portal.calendar.owner import viewed_owner
from portal.calendar.poll_gate import ticket_mark
from portal.calendar.poll_marks import current_mark
from portal.calendar.queries import (
    declined_in_week,
    series_in_week,
    visible_events_in_week,
    week_fingerprint,
)
from portal.calendar.timeutil import today_in
from portal.calendar.view_support import CHANGED, viewer_zone
from portal.calendar.week_cache import rendered_weeks
from portal.calendar.week_changes import changes_note, shown_token
from portal.calendar.week_links import WeekLinks
from portal.core.htmx import is_htmx
from portal.models import User
from portal.team.queries import active_members


@bp.get("")
@login_required
def week():
    """The calendar (grid and agenda) in the coordinator's own zone: a week, three days or a day."""
    zone_name = viewer_zone()
    today = today_in(zone_name)
    span = _span(today)
    # Taken before the week is read, so a change landing in between costs the poller one
    # reload too many instead of a stale week that believes itself current. A region drawn
    # under it is at least that new, and is served again while the week keeps it (week_cache).
    owner = requested_owner()
    g.week_mark = current_mark(owner.id)  # before the fingerprint, as it is
    g.week_seen = week_fingerprint(owner.id, span.first, zone_name, span.days)
    key = (current_user.id, owner.id, g.week_seen, today, request.script_root)
    region = rendered_weeks().region(key, lambda: _draw_week(owner.id, span, zone_name, today))
    if is_htmx():
        # A reload the poller asked for says what changed (calendar/week_changes.py).
        shown = request.args.get("shown")
        return region + changes_note(owner.id, span.first, zone_name, span.days, shown)
    # Asked for no view in particular: a phone-width screen goes on to the day (static/js).
    chosen = any(name in request.args for name in ("view", "week", "date"))
    phone_view = None if chosen else url_for("calendar.week", view="day")
    return render_template(
        "calendar/week.html",
        region=Markup(region),
        phone_view=phone_view,
        # An admin chooses whose calendar to see (calendar/_coordinator_picker.html).
        coordinators=active_members(current_user.business_id) if is_admin(current_user) else [],
        owner=owner,
    )


def _span(today: date) -> Span:
    """The view this request asks for (?view=day|3day|week, ?date= or ?week=)."""
    day = request.args.get("date") or request.args.get("week")
    return view_span(request.args.get("view"), day, today)


def _draw_week(owner_id: int, span: Span, zone_name: str, today: date) -> str:
    first, days = span.first, span.days
    events = visible_events_in_week(owner_id, first, zone_name, days)
    events += series_in_week(owner_id, first, zone_name, days)
    g.week_shown = shown_token(events)  # for calendar/_week_poller.html
    links = WeekLinks()
    return render_template(
        "calendar/_week.html",
        week=build_week(events, first, zone_name, today, days, span.view),
        declined=declined_in_week(owner_id, first, zone_name, days),
        links=links,
        cards=Cards(links),
    )


@bp.get("/fingerprint")
def fingerprint():
    """The live-update poll: 204 while the week is unchanged, else tell the week to reload.

    The #week region polls this every second with the fingerprint it was drawn with (see
    calendar/_week_poller.html). While the coordinator's week mark stands, poll_gate.py
    answers in front of Flask; what reaches this route is a poll the gate could not vouch
    for. Polling was chosen over server-sent events, which would hold a gunicorn worker for
    as long as each calendar page stays open.
    """
    if not current_user.is_authenticated:
        # login_required would redirect, and htmx would follow to the login page; HX-Refresh
        # reloads the whole page instead, which then goes to the login form.
        return "", 401, {"HX-Refresh": "true", **NO_STORE}
    zone_name = viewer_zone()
    span = _span(today_in(zone_name))
    owner = requested_owner()
    mark = current_mark(owner.id)  # before the fingerprint, as the week takes it
    seen = request.args.get("seen")
    if seen != week_fingerprint(owner.id, span.first, zone_name, span.days):
        return "", 200, {"HX-Trigger": CHANGED, **NO_STORE}
    ticket = request.args.get("poll")
    if mark is None or ticket is None or _ticket_holds(mark):
        return "", 204, NO_STORE
    # The week stands but the ticket does not (a mark moved elsewhere in the coordinator's
    # calendar, or it expired): a fresh poller, so the gate answers the next polls again.
    poller = render_template(
        "calendar/_week_poller.html",
        monday=span.first,
        view=span.view,
        seen=seen,
        mark=mark,
        oob=True,
    )
    return poller, 200, NO_STORE


def requested_owner() -> User:
    """The coordinator whose calendar this request shows (calendar/owner.py)."""
    return viewed_owner(request.args.get("coordinator"))


def _ticket_holds(mark: str) -> bool:
    held = ticket_mark(current_app.secret_key, current_user.get_id(), request.args)
    return held == mark
