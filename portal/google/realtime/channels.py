"""Watch channels, Google's push notifications for a connection's calendar: open, renew, stop.

A channel row is committed (the job's checkpoint) before Google is asked to open it, because
Google may deliver the first `sync` message before its answer to the watch call. A new channel
is opened before the ones it replaces are stopped, so they overlap briefly.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, case, delete, exists, select, update

from portal.config import sync_tuning
from portal.core.jobs import Checkpoint, no_checkpoint
from portal.extensions import db
from portal.google.api.client import CalendarClient
from portal.google.api.errors import GoogleApiError
from portal.google.intervals import SAFETY_NET_AFTER, in_words
from portal.google.realtime.address import webhook_address
from portal.google.realtime.heard import Heard
from portal.google.sync.activity import log_activity
from portal.google.sync.pull import pull_changes
from portal.models import GoogleConnection, WatchChannel, utcnow

log = logging.getLogger(__name__)

DEFAULT_TTL = 7 * 24 * 3600
RENEW_WITHIN = timedelta(hours=24)


def hash_token(token: str) -> str:
    """The stored form of a channel token: a database leak must not allow forged messages."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_matches(token_hash: str, token: str | None) -> bool:
    """Constant-time check of a notification's token against a channel's stored hash."""
    return token is not None and hmac.compare_digest(token_hash, hash_token(token))


def _later(column, name: str):
    """The column's value, or the parameter `name` where the column is empty or smaller (a
    NULL parameter leaves the column as it is)."""
    given = bindparam(name, type_=column.type)
    return case((column.is_(None) | (column < given), given), else_=column)


# Built once: each pull runs it, and building it anew cost more CPU than the query itself.
_RECORD_HEARD = (
    update(WatchChannel)
    .where(
        WatchChannel.connection_id == bindparam("heard_connection"),
        WatchChannel.channel_id == bindparam("heard_channel"),
    )
    .values(
        last_notification_at=_later(WatchChannel.last_notification_at, "heard_at"),
        last_message_number=_later(WatchChannel.last_message_number, "heard_number"),
    )
    .returning(
        WatchChannel.stopped_at.is_(None)
        & (WatchChannel.expires_at > bindparam("heard_now", type_=WatchChannel.expires_at.type))
    )
    .execution_options(synchronize_session=False)
)


def record_heard(connection_id: int, heard: Heard) -> bool:
    """Note on each channel when it last notified us and its highest message number; returns
    whether one of them is still open and unexpired (its connection's changes are announced).

    One UPDATE per channel heard (almost always one), keeping the later time and the higher
    number in SQL: no row is read first.
    """
    open_now = False
    for channel_id, at in heard.channel_last_at.items():
        answer = db.session.execute(
            _RECORD_HEARD,
            {
                "heard_connection": connection_id,
                "heard_channel": channel_id,
                "heard_at": at,
                "heard_number": heard.channel_numbers.get(channel_id),
                "heard_now": utcnow(),
            },
        ).scalar()
        open_now = open_now or bool(answer)
    return open_now


def live_channels(connection_id: int) -> list[WatchChannel]:
    """Channels of a connection that are open and not yet expired, newest first."""
    stmt = (
        select(WatchChannel)
        .where(WatchChannel.connection_id == connection_id, *_open_now())
        .order_by(WatchChannel.created_at.desc())
    )
    return list(db.session.scalars(stmt))


def connections_listening(connection_ids: list[int]) -> set[int]:
    """Which of these connections have an open channel not yet expired: one query for many."""
    if not connection_ids:
        return set()
    stmt = select(WatchChannel.connection_id).where(
        WatchChannel.connection_id.in_(connection_ids), *_open_now()
    )
    return set(db.session.scalars(stmt.distinct()))


def _open_now() -> tuple:
    """The conditions of a channel that is open and not yet expired."""
    return (WatchChannel.stopped_at.is_(None), WatchChannel.expires_at > utcnow())


def prepare_channel(connection: GoogleConnection) -> tuple[WatchChannel, str]:
    """A new channel row with a random id and secret; the caller commits, then activates it."""
    token = secrets.token_urlsafe(32)
    channel = WatchChannel(
        connection_id=connection.id,
        channel_id=uuid.uuid4().hex,
        token_hash=hash_token(token),
        calendar_id=connection.calendar_id,
        expires_at=utcnow() + timedelta(seconds=_ttl()),
    )
    db.session.add(channel)
    db.session.flush()
    return channel, token


def activate_channel(
    connection: GoogleConnection, channel: WatchChannel, token: str, client: CalendarClient
) -> bool:
    """Ask Google to open the channel; on refusal fall back to polling and say so."""
    try:
        address = webhook_address(current_app.config)
        answer = client.watch(connection.calendar_id, channel.channel_id, token, address, _ttl())
    except GoogleApiError as exc:
        if exc.retryable or exc.status == 401:
            raise
        channel.stopped_at = utcnow()
        connection.polling_only = True
        log_activity(
            connection,
            "channel",
            "Google would not send live updates "
            f"({exc.message or exc.reason}); checking for changes every "
            f"{in_words(SAFETY_NET_AFTER)} instead",
            outcome="polling",
        )
        return False
    channel.resource_id = answer.get("resourceId")
    if answer.get("expiration"):
        channel.expires_at = datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
    connection.polling_only = False
    log_activity(connection, "channel", "Live updates from Google switched on")
    return True


def stop_channel(channel: WatchChannel, client: CalendarClient | None) -> None:
    """Stop a channel at Google (when we can still talk to Google) and mark it stopped."""
    if client is not None and channel.resource_id:
        try:
            client.stop_channel(channel.channel_id, channel.resource_id)
        except GoogleApiError as exc:
            if exc.retryable:
                raise
            # Not ours any more or already gone: it will expire at Google on its own.
    channel.stopped_at = utcnow()
    db.session.flush()


def replace_channel(
    connection: GoogleConnection, client: CalendarClient, checkpoint: Checkpoint = no_checkpoint
) -> bool:
    """Open a new watch channel first, then stop the ones it replaces; False: Google refused."""
    old = live_channels(connection.id)
    channel, token = prepare_channel(connection)
    # Committed before the watch call: Google may notify before it answers.
    checkpoint()
    opened = activate_channel(connection, channel, token, client)
    checkpoint()
    if opened:
        for previous in old:
            stop_channel(previous, client)
        checkpoint()
    return opened


def listen_and_catch_up(
    connection: GoogleConnection, client: CalendarClient, checkpoint: Checkpoint = no_checkpoint
) -> bool:
    """Open a new channel (replacing the old), then pull once: nothing changed before it
    listened can wait for the safety net. Returns whether Google accepted the channel."""
    opened = replace_channel(connection, client, checkpoint)
    # Google announces only changes made once a channel exists. What changed since the last
    # listing began (or while an old channel was silent) is in this one incremental pull.
    if connection.sync_token:
        pull_changes(connection, client, checkpoint=checkpoint)
        checkpoint()
    return opened


def replace_if_silent(
    connection: GoogleConnection,
    client: CalendarClient,
    changed_at: datetime | None,
    checkpoint: Checkpoint = no_checkpoint,
) -> bool:
    """After a pull: if it found a change older than any notification, the live channel has
    gone silent; switch live updates on again. Returns whether it did."""
    live = live_channels(connection.id)
    # A change younger than the grace period may simply have its notification in flight.
    grace = timedelta(seconds=sync_tuning(current_app.config, "GOOGLE_SILENCE_GRACE"))
    if not live or changed_at is None or changed_at >= utcnow() - grace:
        return False
    heard = live[0].last_notification_at
    if heard is not None and heard >= changed_at:
        return False
    log_activity(
        connection,
        "channel",
        "Google stopped announcing changes; live updates were switched on again",
        outcome="silent_channel",
    )
    checkpoint()
    listen_and_catch_up(connection, client, checkpoint)
    return True


def stop_orphan(channel: WatchChannel, client: CalendarClient | None) -> None:
    """Stop a channel nobody syncs with any more; if Google cannot be told, it expires there."""
    try:
        stop_channel(channel, client)
    except Exception as exc:  # Google unreachable: it expires there on its own
        log.warning("could not stop channel %s: %s", channel.channel_id, exc)
        channel.stopped_at = utcnow()


def connections_due_for_renewal(limit: int) -> list[int]:
    """Active connections with an open channel expiring within a day, soonest first.

    Served by the partial index of open channels by expiry: the scan reads only the channels
    due, never every row.
    """
    stmt = (
        select(WatchChannel.connection_id)
        .join(GoogleConnection, GoogleConnection.id == WatchChannel.connection_id)
        .where(
            WatchChannel.stopped_at.is_(None),
            WatchChannel.expires_at < utcnow() + RENEW_WITHIN,
            GoogleConnection.is_active,
        )
        .order_by(WatchChannel.expires_at)
        .limit(limit)
    )
    return list(dict.fromkeys(db.session.scalars(stmt)))


def stop_orphans(limit: int, client_for: Callable[[int | None], CalendarClient | None]) -> int:
    """Stop up to `limit` open channels whose connection is gone, inactive, or now syncs
    another calendar; returns how many.

    Only a still-active connection (it changed calendar) can tell Google, one channel at a
    time; the rest are marked stopped in one statement.
    """
    stmt = (
        select(WatchChannel.id, WatchChannel.connection_id, GoogleConnection.is_active)
        .outerjoin(GoogleConnection, GoogleConnection.id == WatchChannel.connection_id)
        .where(
            WatchChannel.stopped_at.is_(None),
            (GoogleConnection.id.is_(None))
            | (~GoogleConnection.is_active)
            | (GoogleConnection.calendar_id != WatchChannel.calendar_id),
        )
        .limit(limit)
    )
    rows = db.session.execute(stmt).all()
    for channel_id, connection_id, active in rows:
        if active:
            stop_orphan(db.session.get(WatchChannel, channel_id), client_for(connection_id))
    _mark_stopped([channel_id for channel_id, _, active in rows if not active])
    return len(rows)


def _mark_stopped(ids: list[int]) -> None:
    """Mark these channels stopped: one UPDATE for all but one, which goes through the ORM
    so the session's hooks see a channel stopped in this commit (the directory's generation)."""
    if not ids:
        return
    now = utcnow()
    first, rest = ids[0], ids[1:]
    if rest:
        db.session.execute(
            update(WatchChannel)
            .where(WatchChannel.id.in_(rest))
            .values(stopped_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.get(WatchChannel, first).stopped_at = now
    db.session.flush()


# Stopped channels are kept this long (the card and the logs may still name one), then erased.
KEEP_STOPPED = timedelta(days=30)


def forget_stopped_channels() -> int:
    """Erase channel rows stopped more than KEEP_STOPPED ago; returns how many went.

    Renewal leaves one stopped row per connection every week. They are past the webhook's
    roster (a week) long before this, so no process needs telling.
    """
    result = db.session.execute(
        delete(WatchChannel).where(WatchChannel.stopped_at < utcnow() - KEEP_STOPPED)
    )
    return result.rowcount


def connections_without_channel(limit: int) -> list[int]:
    """Up to `limit` connected calendars with no open channel (never opened, expired, or
    refused), in the order their safety pulls come due, so a capped scan takes turns."""
    live = exists().where(
        WatchChannel.connection_id == GoogleConnection.id,
        WatchChannel.stopped_at.is_(None),
        WatchChannel.expires_at > utcnow(),
    )
    stmt = (
        select(GoogleConnection.id)
        .where(GoogleConnection.state == "connected", ~live)
        .order_by(GoogleConnection.next_pull_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _ttl() -> int:
    return int(current_app.config.get("GOOGLE_CHANNEL_TTL", DEFAULT_TTL))
