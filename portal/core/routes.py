"""Routes every page shares: the front door, health, and the help panel with its checks."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, url_for
from flask_login import current_user, login_required

from portal.core.health import health
from portal.core.htmx import render
from portal.google.account.diagnostics import run_checks

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    """Send coordinators to their calendar and visitors to the login page."""
    if current_user.is_authenticated:
        return redirect(url_for("calendar.week"))
    return redirect(url_for("auth.login"))


@bp.get("/healthz")
def healthz():
    """200 when the database and Redis answer, else 503; ok/down each, the reasons in the log."""
    components = health()
    if "down" in components.values():
        return jsonify(status="unavailable", **components), 503
    return jsonify(status="ok", **components), 200


@bp.get("/help")
def help_panel():
    """The help panel: troubleshooting the Google Calendar connection (empty when closed)."""
    if request.args.get("close"):
        return ""
    return render("help/page.html", "help/_panel.html")


@bp.post("/help/check")
@login_required
def help_check():
    """“Check my connection”: run the live checks of the Google connection and show each."""
    checks = run_checks(current_user)
    return render("help/page.html", "help/_checks.html", checks=checks)
