"""POST /help/check: “Check my connection” in the help panel (checks in diagnostics.py)."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required

from portal.core.htmx import render
from portal.google.diagnostics import run_checks

bp = Blueprint("diagnostics", __name__)


@bp.post("/help/check")
@login_required
def check():
    """Run the live checks of the coordinator's Google connection and show each result."""
    checks = run_checks(current_user)
    return render("help/page.html", "help/_checks.html", checks=checks)
