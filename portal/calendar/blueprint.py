"""The calendar's blueprint, shared by its route modules (routes.py, week_routes.py)."""

from __future__ import annotations

from flask import Blueprint

from portal.calendar.owner import follow_owner

bp = Blueprint("calendar", __name__, url_prefix="/calendar")
bp.url_defaults(follow_owner)  # an admin viewing a colleague's calendar stays on it

# Poll answers are about this instant only.
NO_STORE = {"Cache-Control": "no-store"}
