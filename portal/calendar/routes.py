"""The coordinator's calendar (placeholder until the calendar feature lands)."""

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


@bp.get("")
@login_required
def week():
    """The week view."""
    return render_template("calendar/week.html")
