"""What the Google Calendar card shows: one state, its facts, and whether it polls itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from portal.extensions import db
from portal.google.account.connection import disconnect_pending, get_connection, is_stale
from portal.google.account.lost_calendar import lost_calendar_message
from portal.google.account.oauth import is_configured
from portal.google.intervals import SAFETY_NET_AFTER, in_words
from portal.google.realtime.address import webhook_reach
from portal.google.realtime.channels import live_channels
from portal.google.sync.activity import median_latency_ms, recent_activity, unreviewed_conflicts
from portal.google.sync.skipped import open_skips
from portal.google.worker import enqueue
from portal.models import GoogleConnection, OutboxEntry, SyncLog, User, WatchChannel
from portal.models.google import CALENDAR_GONE
from portal.models.types import utcnow

# States during which something is under way, so the card refreshes itself.
POLLING = ("connecting", "disconnecting", "importing")


@dataclass
class GoogleCard:
    """The card's view of one coordinator's Google connection."""

    state: str
    connection: GoogleConnection | None = None
    message: str | None = None
    activity: list[SyncLog] = field(default_factory=list)
    conflicts: int = 0
    pull_running: bool = False
    channel: WatchChannel | None = None
    latency_ms: int | None = None
    webhook_warning: str | None = None
    # Google events the pulls had to leave out, still out (newest first).
    skipped: list[SyncLog] = field(default_factory=list)
    # Portal events whose changes wait for Google (shown while the calendar is gone).
    waiting: int = 0

    @property
    def polling(self) -> bool:
        """Whether the card should ask for itself again in a moment."""
        if self.state in POLLING or self.pull_running:
            return True
        # An import that hit an error may still be retrying.
        return (
            self.state == "error"
            and self.connection is not None
            and (self.connection.state == "importing")
        )


def card_state(connection: GoogleConnection | None, configured: bool) -> str:
    """One of: not_configured, not_connected, connecting, disconnecting, importing,
    connected, needs_reconnect, calendar_gone, error."""
    if not configured:
        return "not_configured"
    if connection is None:
        return "not_connected"
    if connection.state == "connecting":
        return "not_connected" if is_stale(connection) else "connecting"
    if connection.state == "disconnected":
        pending = disconnect_pending(connection) and not is_stale(connection)
        return "disconnecting" if pending else "not_connected"
    if connection.state in ("needs_reconnect", CALENDAR_GONE):
        return connection.state
    if _has_fresh_error(connection):
        return "error"
    return connection.state


def _has_fresh_error(connection: GoogleConnection) -> bool:
    if not connection.last_error or connection.last_error_at is None:
        return False
    return connection.last_sync_at is None or connection.last_error_at > connection.last_sync_at


def build_card(user: User) -> GoogleCard:
    """Everything the card needs for this coordinator."""
    connection = get_connection(user.id)
    card = GoogleCard(card_state(connection, is_configured(current_app.config)), connection)
    if connection is None or card.state == "not_configured":
        return card
    card.message = connection.last_error
    card.activity = recent_activity(connection.id, limit=10)
    card.conflicts = unreviewed_conflicts(connection.id)
    card.skipped = open_skips(connection)
    if connection.state == CALENDAR_GONE:
        card.message = connection.last_error or lost_calendar_message(connection)
        card.waiting = waiting_changes(user.id)
    if connection.is_active:
        card.pull_running = enqueue.pull_in_progress(connection.id)
        live = live_channels(connection.id)
        card.channel = live[0] if live else None
        card.latency_ms = median_latency_ms(connection.id, utcnow() - timedelta(days=1))
        card.webhook_warning = webhook_warning(current_app.config)
    return card


def webhook_warning(config: Mapping[str, Any]) -> str | None:
    """Why Google cannot deliver live updates here, when it cannot (webhook_reach)."""
    if webhook_reach(config) is not None:
        return None
    return (
        f"PUBLIC_BASE_URL is {config['PUBLIC_BASE_URL']}, not https: Google only sends live "
        "updates to https addresses, so changes from Google arrive with the check about every "
        f"{in_words(SAFETY_NET_AFTER)}. "
        "Ask your administrator to set PUBLIC_BASE_URL to the portal's https address."
    )


def calendar_label(connection: GoogleConnection) -> str:
    """The synced calendar as a coordinator knows it; Google's primary id is the email."""
    if connection.calendar_id in ("primary", connection.google_email):
        return f"Your main Google calendar ({connection.google_email})"
    return connection.calendar_summary or connection.calendar_id or ""


def arrival_in_words(latency_ms: int) -> str:
    """How soon changes from Google usually show here, in words."""
    seconds = latency_ms / 1000
    if seconds < 1.5:
        return "within a second"
    if seconds < 90:
        return f"within about {round(seconds)} seconds"
    return f"within about {round(seconds / 60)} minutes"


def waiting_changes(user_id: int) -> int:
    """How many of the coordinator's events have changes not sent to Google yet."""
    stmt = select(func.count(func.distinct(OutboxEntry.event_id))).where(
        OutboxEntry.user_id == user_id, OutboxEntry.processed_at.is_(None)
    )
    return db.session.scalar(stmt) or 0


def needs_reconnect(user: User) -> GoogleConnection | None:
    """The coordinator's connection when sync has stopped until they act, for the banner:
    a reconnect (needs_reconnect) or another calendar (calendar_gone). Else None."""
    connection = get_connection(user.id)
    if connection is not None and connection.state in ("needs_reconnect", CALENDAR_GONE):
        return connection
    return None
