"""Disconnecting a coordinator's Google account: stop channels, tidy up at Google, revoke.

Plain functions over explicit arguments. They flush; the request or the job commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.google.account.incidents import close_incidents
from portal.google.account.tokens import ReconnectNeeded, stored_tokens, wipe_tokens
from portal.google.api.errors import GoogleApiError
from portal.google.api.token_endpoint import revoke
from portal.google.sync.activity import log_activity
from portal.google.sync.links import on_current_calendar
from portal.models import Event, EventLink, GoogleConnection, WatchChannel
from portal.models.google import new_id_prefix
from portal.models.types import utcnow

log = logging.getLogger(__name__)


class DisconnectClient(Protocol):
    """What disconnect needs from the Calendar client."""

    def delete_event(self, calendar_id: str, event_id: str) -> None: ...

    def stop_channel(self, channel_id: str, resource_id: str) -> None: ...


def request_disconnect(connection: GoogleConnection, remove_events: bool) -> None:
    """Stop syncing now; the disconnect job then tidies up at Google."""
    connection.state = "disconnected"
    # Nothing is broken any more; a later connection's trouble is a new incident and a new email.
    close_incidents(connection)
    what = "remove" if remove_events else "keep"
    db.session.flush()
    log_activity(
        connection, "disconnect", f"Disconnect requested ({what} the events copied to Google)."
    )


def disconnect_connection(
    connection_id: int,
    remove_events: bool,
    client_factory: Callable[[GoogleConnection], DisconnectClient],
) -> None:
    """Stop channels, optionally delete mirrored events, revoke, wipe tokens; flushes.

    Runs after request_disconnect. Portal events and EventLinks stay, so reconnecting the
    same account re-links instead of duplicating. Google being down never blocks it.
    """
    connection = db.session.get(GoogleConnection, connection_id)
    if connection is None or connection.state not in ("disconnected", "needs_reconnect"):
        # Gone, or the coordinator signed in again since: revoking now would revoke that.
        return
    # Read everything first and write at the end: a token refresh during the calls below
    # commits on its own connection, which must not wait behind our uncommitted writes.
    channels = _live_channels(connection_id)
    links = _portal_links(connection) if remove_events else []
    calendar_id = connection.calendar_id
    client = client_factory(connection)
    stopped = sum(_try(client.stop_channel, c.channel_id, c.resource_id or "") for c in channels)
    removed = [
        link
        for link in links
        if calendar_id and _try(client.delete_event, calendar_id, link.google_event_id)
    ]
    db.session.refresh(connection)  # pick up a token refreshed by the calls above
    revoked, revoke_note = revoke_grant(connection)
    _forget(connection, channels, removed)
    _log_disconnect(connection, len(channels), stopped, len(links), len(removed))
    log_activity(connection, "disconnect", revoke_note, outcome=revoked)


def _forget(
    connection: GoogleConnection, channels: list[WatchChannel], removed: list[EventLink]
) -> None:
    """The writes, once Google has been told: channels stopped, links gone, no tokens."""
    now = utcnow()
    for channel in channels:
        channel.stopped_at = now
    for link in removed:
        # Forget the link: a later reconnect puts the event back on Google as new.
        db.session.delete(link)
    if removed:
        # Google keeps deleted ids forever (409 on reuse): new copies need new ids.
        connection.id_prefix = new_id_prefix()
    wipe_tokens(connection)
    connection.sync_token = None
    connection.state = "disconnected"
    connection.polling_only = False
    db.session.flush()


def _live_channels(connection_id: int) -> list[WatchChannel]:
    stmt = select(WatchChannel).where(
        WatchChannel.connection_id == connection_id, WatchChannel.stopped_at.is_(None)
    )
    return list(db.session.scalars(stmt))


def _portal_links(connection: GoogleConnection) -> list[EventLink]:
    # Only what the portal put on Google: events that came from Google belong to the user.
    stmt = (
        select(EventLink)
        .join(Event, Event.id == EventLink.event_id)
        .where(
            *on_current_calendar(connection),
            EventLink.remote_deleted.is_(False),
            Event.origin == "portal",
        )
    )
    return list(db.session.scalars(stmt))


def _try(call: Callable[..., object], *args: str) -> bool:
    try:
        call(*args)
    except (GoogleApiError, ReconnectNeeded) as exc:
        log.info("disconnect step %s failed: %s", getattr(call, "__name__", call), exc)
        return False
    return True


def revoke_grant(connection: GoogleConnection) -> tuple[str, str]:
    """Revoke Coordinoter's access at Google; (outcome, what to tell the coordinator)."""
    access, refresh = stored_tokens(connection)
    account = connection.google_email or "the Google account"
    # Revoking either token revokes the whole grant; the refresh token outlives the access one.
    token = refresh or access
    if not token:
        return "skipped", f"No stored access to revoke for {account}."
    problem = revoke(current_app.config["GOOGLE_REVOKE_URI"], token)
    if problem is None:
        return "ok", f"Revoked Coordinoter's access to {account} at Google."
    return "failed", (
        f"Could not revoke Coordinoter's access at Google ({problem}); disconnected anyway. "
        f"You can remove Coordinoter under “Third-party apps” in {account}'s Google Account."
    )


def _log_disconnect(
    connection: GoogleConnection, channels: int, stopped: int, links: int, removed: int
) -> None:
    parts = [f"Disconnected {connection.google_email or 'Google Calendar'}."]
    if channels:
        # Words a coordinator reads: live updates, not the channels behind them.
        done = "switched off" if stopped == channels else f"switched off ({stopped} of {channels})"
        parts.append(f"Live updates from Google {done}.")
    if links:
        parts.append(f"Removed {removed} of {links} events Coordinoter had copied to Google.")
    outcome = "ok" if stopped == channels and removed == links else "partial"
    log_activity(connection, "disconnect", " ".join(parts), outcome=outcome)
