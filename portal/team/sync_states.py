"""Each coordinator's Google Calendar state in words, for the business integrations page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.google.account.oauth import is_configured
from portal.google.realtime.channels import connections_listening
from portal.integrations.card import card_state
from portal.models import GoogleConnection, User

STATE_WORDS = {
    "not_configured": "Google Calendar is not set up on this portal",
    "not_connected": "Not connected",
    "connecting": "Connecting",
    "disconnecting": "Disconnecting",
    "importing": "Copying events from Google",
    "connected": "Connected",
    "needs_reconnect": "Needs to reconnect",
    "calendar_gone": "Their Google calendar is no longer available",
    "error": "Connected, but the last sync failed",
}
# States in which the coordinator has something to do, so a reminder makes sense.
NEEDS_ACTION = ("not_connected", "needs_reconnect", "calendar_gone", "error")


@dataclass
class SyncRow:
    """One coordinator's line on the business integrations page."""

    member: User
    state: str
    words: str
    live_updates: bool = False
    last_sync_at: datetime | None = None
    broken_since: datetime | None = None
    last_error: str | None = None

    @property
    def needs_action(self) -> bool:
        """Whether the coordinator has to do something for their calendar to sync."""
        return self.state in NEEDS_ACTION


def sync_rows(members: list[User]) -> list[SyncRow]:
    """The members' Google Calendar states, as the admin reads them, in two queries for all."""
    ids = [member.id for member in members]
    found = db.session.scalars(select(GoogleConnection).where(GoogleConnection.user_id.in_(ids)))
    connections = {connection.user_id: connection for connection in found}
    listening = connections_listening([c.id for c in connections.values()])
    configured = is_configured(current_app.config)
    return [_row(member, connections.get(member.id), configured, listening) for member in members]


def sync_row(member: User) -> SyncRow:
    """One coordinator's Google Calendar state, as the admin reads it."""
    return sync_rows([member])[0]


def _row(
    member: User, connection: GoogleConnection | None, configured: bool, listening: set[int]
) -> SyncRow:
    state = card_state(connection, configured)
    row = SyncRow(member, state, STATE_WORDS.get(state, state))
    if connection is None or state in ("not_configured", "not_connected"):
        return row
    row.last_sync_at = connection.last_sync_at
    row.last_error = connection.last_error
    # Live: Google tells the portal about changes as they happen (an open channel).
    row.live_updates = (
        connection.is_active and not connection.polling_only and connection.id in listening
    )
    if state in ("needs_reconnect", "calendar_gone"):
        # The broken state is the connection's last change; the error says when it came.
        row.broken_since = connection.last_error_at or connection.updated_at
    return row
