"""Receiving Google's push notifications: authenticate, record, and coalesce into pulls."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import delete, select

from portal.extensions import db
from portal.google.channels import token_matches
from portal.models import GoogleConnection, Notification, WatchChannel, utcnow

log = logging.getLogger(__name__)
KEEP_NOTIFICATIONS = timedelta(days=7)


def receive_notification(headers: Mapping[str, str]) -> str:
    """Check one notification and enqueue a pull when it is genuine; returns the outcome."""
    channel_id = headers.get("X-Goog-Channel-ID")
    state = headers.get("X-Goog-Resource-State")
    number = _int(headers.get("X-Goog-Message-Number"))
    channel = None
    if not channel_id or not state:
        outcome = "missing_headers"
    else:
        channel = db.session.scalar(
            select(WatchChannel).where(WatchChannel.channel_id == channel_id)
        )
        outcome = _judge(channel, headers.get("X-Goog-Channel-Token"), state)
    connection_id = channel.connection_id if channel is not None else None
    if outcome in ("sync", "accepted"):
        _note_delivery(channel, state, number)
    if outcome == "accepted":
        from portal.google.jobs import enqueue_pull

        try:
            if not enqueue_pull(connection_id):
                outcome = "coalesced"
        except Exception as exc:  # Redis down: the safety-net pull will catch this change
            log.warning("could not enqueue pull for connection %s: %s", connection_id, exc)
            outcome = "queue_down"
    db.session.add(
        Notification(
            channel_id=(channel_id or "")[:255] or None,
            connection_id=connection_id
            if outcome not in ("unknown_channel", "bad_token")
            else None,
            message_number=number,
            resource_state=(state or "")[:32] or None,
            outcome=outcome,
        )
    )
    db.session.flush()
    if outcome not in ("accepted", "sync", "coalesced"):
        log.info("ignored Google notification for channel %r: %s", channel_id, outcome)
    return outcome


def _judge(channel: WatchChannel | None, token: str | None, state: str) -> str:
    if channel is None:
        return "unknown_channel"
    if not token_matches(channel, token):
        return "bad_token"
    if channel.stopped_at is not None:
        return "stopped"
    if channel.expires_at is not None and channel.expires_at < utcnow():
        return "expired"
    connection = db.session.get(GoogleConnection, channel.connection_id)
    if connection is None or not connection.is_active:
        return "inactive"
    return "sync" if state == "sync" else "accepted"


def _note_delivery(channel: WatchChannel, state: str, number: int | None) -> None:
    now = utcnow()
    if state == "sync":
        channel.live_at = now
        return
    channel.last_notification_at = now
    if number is not None:
        channel.last_message_number = max(number, channel.last_message_number or 0)


# The columns are 32-bit integers; Google's message numbers stay far below this.
MAX_MESSAGE_NUMBER = 2**31 - 1


def _int(value: str | None) -> int | None:
    try:
        number = int(value) if value is not None else None
    except ValueError:
        return None
    # A forged or garbled number must not reach the database (a 500 would make Google retry).
    return number if number is None or 0 <= number <= MAX_MESSAGE_NUMBER else None


def prune_notifications() -> int:
    """Forget notification records older than a week; returns how many."""
    result = db.session.execute(
        delete(Notification).where(Notification.received_at < utcnow() - KEEP_NOTIFICATIONS)
    )
    return result.rowcount or 0
