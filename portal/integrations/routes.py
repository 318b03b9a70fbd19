"""Business Portal → Manage Integrations: the Google Calendar card, sync now, conflicts."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from portal.core.htmx import is_htmx, render
from portal.core.timezones import zone
from portal.extensions import db
from portal.google.account.connection import get_connection
from portal.google.account.oauth import redirect_uri
from portal.google.intervals import SAFETY_NET_AFTER, in_words
from portal.google.worker import enqueue
from portal.integrations.card import arrival_in_words, build_card, calendar_label, needs_reconnect
from portal.integrations.forms import PRIVACY_EXPLANATIONS, PrivacyForm
from portal.integrations.privacy import WILL_SEE
from portal.models import SyncLog

bp = Blueprint("integrations", __name__, url_prefix="/portal")


@bp.app_context_processor
def google_context() -> dict:
    """Give every template a lazy check for the reconnect banner (one query, only if used),
    and how long Google's changes take at most without live updates."""

    def google_needs_reconnect():
        if not current_user.is_authenticated:
            return None
        try:
            return needs_reconnect(current_user)
        except SQLAlchemyError:
            # Error pages render this too; a database outage must not break them.
            db.session.rollback()
            return None

    return {
        "google_needs_reconnect": google_needs_reconnect,
        "google_safety_net": in_words(SAFETY_NET_AFTER),
    }


def card_context(**extra) -> dict:
    """The template context of the Google card for the current coordinator (plus extra)."""
    card = build_card(current_user)
    privacy = PrivacyForm(privacy_level=card.connection.privacy_level if card.connection else None)
    return {
        "card": card,
        "privacy_form": privacy,
        "privacy_explanations": PRIVACY_EXPLANATIONS,
        "zone": zone(current_user.time_zone),
        "redirect_uri": redirect_uri(),
        "calendar_label": calendar_label,
        "arrival_in_words": arrival_in_words,
        "privacy_will_see": WILL_SEE,
        **extra,
    }


def render_card(status: int = 200, **extra):
    """The card alone for htmx, else the whole Manage Integrations page."""
    return render(
        "integrations/index.html", "integrations/_google_card.html", status, **card_context(**extra)
    )


def back_to_card():
    """After a plain (non-htmx) form post: back to Manage Integrations."""
    return redirect(url_for("integrations.index"))


@bp.get("/integrations")
@login_required
def index():
    """Manage Integrations, with the Google Calendar card."""
    return render("integrations/index.html", "integrations/_google_card.html", **card_context())


@bp.get("/integrations/google/card")
@login_required
def google_card():
    """The Google Calendar card (htmx polls this while an import or sign-in is under way)."""
    return render_card()


@bp.post("/integrations/google/sync")
@login_required
def sync_now():
    """Ask for a pull from Google now (ignored while one is already waiting or running)."""
    connection = get_connection(current_user.id)
    # The button only shows on an active connection; from anywhere else this is a no-op.
    if (
        connection is not None
        and connection.is_active
        and not enqueue.pull_in_progress(connection.id)
    ):
        enqueue.enqueue_pull(connection.id)
    return render_card() if is_htmx() else back_to_card()


def _conflicts() -> list[SyncLog]:
    connection = get_connection(current_user.id)
    if connection is None:
        return []
    stmt = select(SyncLog).where(SyncLog.connection_id == connection.id, SyncLog.kind == "conflict")
    return list(db.session.scalars(stmt.order_by(SyncLog.created_at.desc(), SyncLog.id.desc())))


def _conflicts_page():
    return render(
        "integrations/conflicts.html",
        "integrations/_conflicts.html",
        conflicts=_conflicts(),
        zone=zone(current_user.time_zone),
    )


@bp.get("/integrations/google/conflicts")
@login_required
def conflicts():
    """Conflicts the sync resolved, each with the version that lost."""
    return _conflicts_page()


@bp.post("/integrations/google/conflicts/<int:log_id>/reviewed")
@login_required
def conflict_reviewed(log_id: int):
    """Mark one resolved conflict as reviewed."""
    row = db.session.get(SyncLog, log_id)
    # Only the coordinator's own conflicts exist for them; anything else is a 404.
    if row is None or row.kind != "conflict" or row.user_id != current_user.id:
        abort(404)
    row.reviewed = True
    db.session.commit()
    if is_htmx():
        return _conflicts_page()
    return redirect(url_for("integrations.conflicts"))
