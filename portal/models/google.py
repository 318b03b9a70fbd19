"""A coordinator's Google Calendar connection, the links between events, and watch channels."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


def new_id_prefix() -> str:
    """A random base32hex prefix for the Google event ids one connection chooses."""
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    return "".join(secrets.choice(alphabet) for _ in range(8))


# The synced calendar was deleted in Google or is no longer shared with the account: the
# account stays linked and changes keep queuing, but nothing syncs until the coordinator
# chooses a calendar (the same one, once it is back, or another).
CALENDAR_GONE = "calendar_gone"
CONNECTION_STATES = (
    "connecting",
    "importing",
    "connected",
    "needs_reconnect",
    CALENDAR_GONE,
    "disconnected",
)
# Sync jobs talk to Google for these.
ACTIVE_STATES = ("importing", "connected")
# The Google account counts as taken: live, or stopped until the coordinator reconnects or
# chooses another calendar.
LINKED_STATES = (*ACTIVE_STATES, "needs_reconnect", CALENDAR_GONE)
# A calendar may be chosen: while syncing, or to resume after the calendar was lost.
CHOOSING_STATES = (*ACTIVE_STATES, CALENDAR_GONE)
# Portal changes are queued for Google: linked, or being connected (they must reach Google
# once the sign-in or the reconnect finishes).
QUEUING_STATES = ("connecting", *LINKED_STATES)
PRIVACY_LEVELS = {
    "busy": "Busy only",
    "private_title": "Private title",
    "full": "Full details",
}


def _state_in(states: tuple[str, ...], doc: str) -> hybrid_property[bool]:
    """A predicate on the connection's state, for rows and for queries alike."""

    def on_row(connection: GoogleConnection) -> bool:
        return connection.state in states

    def in_query(cls: type[GoogleConnection]) -> ColumnElement[bool]:
        return cls.state.in_(states)

    on_row.__doc__ = doc
    return hybrid_property(on_row, expr=in_query)


# The states the unique index below names, as its migration wrote them. It closes the race of
# two sign-ins finishing at once; a calendar_gone row is not signing in, and it keeps its
# refresh token, which connection._linked_elsewhere counts as taken too.
_INDEXED_STATES = (*ACTIVE_STATES, "needs_reconnect")
_LINKED = "state IN (" + ", ".join(f"'{state}'" for state in _INDEXED_STATES) + ")"


class GoogleConnection(db.Model):
    """One coordinator's link to one Google calendar; tokens are Fernet-encrypted."""

    __tablename__ = "google_connection"
    __table_args__ = (
        # One Google account, one coordinator: closes the race two simultaneous sign-ins
        # would otherwise win together.
        Index(
            "uq_google_connection_linked_sub",
            "google_sub",
            unique=True,
            postgresql_where=text(_LINKED),
            sqlite_where=text(_LINKED),
        ),
        # The safety net's tick: connected rows whose pull is due, soonest first, with a limit
        # (worker/safety_net.py); equality on state, then a range and order on the due time.
        Index("ix_google_connection_due", "state", "next_pull_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    google_sub: Mapped[str | None] = mapped_column(String(255))
    google_email: Mapped[str | None] = mapped_column(String(254))
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scopes: Mapped[str] = mapped_column(Text, default="")
    calendar_id: Mapped[str | None] = mapped_column(String(1024))
    calendar_summary: Mapped[str | None] = mapped_column(String(255))
    sync_token: Mapped[str | None] = mapped_column(Text)
    # Keeps our client-chosen Google ids unique to this connection (and stable across reconnects).
    id_prefix: Mapped[str] = mapped_column(String(16), default=new_id_prefix)
    state: Mapped[str] = mapped_column(String(20), default="connecting")
    privacy_level: Mapped[str] = mapped_column(String(20), default="private_title")
    import_count: Mapped[int] = mapped_column(default=0)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the safety net pulls next: set after every pull (worker/safety_net.py), long for a
    # healthy live channel and short otherwise; a new row is due at once.
    next_pull_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when opening a watch channel failed: the safety-net pull is the only feed.
    polling_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    channels: Mapped[list[WatchChannel]] = relationship(back_populates="connection")

    is_active = _state_in(
        ACTIVE_STATES, "Whether sync jobs may talk to Google for this connection."
    )
    is_linked = _state_in(
        LINKED_STATES, "Whether the Google account is taken by this row: live, or broken."
    )
    queues_changes = _state_in(
        QUEUING_STATES, "Whether the portal's changes are queued for Google."
    )
    may_choose_calendar = _state_in(
        CHOOSING_STATES, "Whether the coordinator may choose the calendar to sync with now."
    )

    @property
    def can_sync(self) -> bool:
        """Whether a sync job can run now: active, with a calendar chosen."""
        return self.is_active and bool(self.calendar_id)

    def __repr__(self) -> str:
        return f"<GoogleConnection {self.id} user={self.user_id} {self.state}>"


class EventLink(db.Model):
    """A portal event and its Google copy, with the last etag seen so echoes can be skipped."""

    __tablename__ = "event_link"
    __table_args__ = (
        UniqueConstraint("connection_id", "calendar_id", "event_id"),
        UniqueConstraint("connection_id", "calendar_id", "google_event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("google_connection.id"))
    # Links belong to one calendar: after "Change calendar" the old ones stay as a record.
    calendar_id: Mapped[str] = mapped_column(String(1024))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    google_event_id: Mapped[str] = mapped_column(String(1024))
    etag: Mapped[str | None] = mapped_column(String(255))
    google_updated: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The Event.version that Google holds (after our push or after applying its change).
    synced_version: Mapped[int] = mapped_column(default=0)
    # A series' rule as both sides last agreed on it (None: no rule, or not known): in a
    # conflict it tells which side changed the rule since (sync/conflicts.settle_conflict).
    synced_recurrence: Mapped[str | None] = mapped_column(Text)
    # The fields Google held after the last sync, in the push's terms (sync/body.py): a push
    # sends only what differs from them, and compares Google's answer with what it sent.
    synced_body: Mapped[dict | None] = mapped_column(JSON)
    # Google's copy is gone (deleted there, or removed on disconnect).
    remote_deleted: Mapped[bool] = mapped_column(default=False)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<EventLink event={self.event_id} google={self.google_event_id}>"


# Open channels: the only ones the renewal, orphan and open-missing scans look at.
_OPEN = text("stopped_at IS NULL")


class WatchChannel(db.Model):
    """A push-notification channel Google opened for a connection's calendar."""

    __tablename__ = "watch_channel"
    __table_args__ = (
        # A connection's channels (live_channels, on every safety pull; the card).
        Index("ix_watch_channel_connection", "connection_id"),
        # Open channels by expiry: renewal picks the soonest, stopped rows stay out of it.
        Index(
            "ix_watch_channel_open_expiry",
            "expires_at",
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
        # Erasing rows stopped long ago.
        Index("ix_watch_channel_stopped", "stopped_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("google_connection.id"))
    channel_id: Mapped[str] = mapped_column(String(64), unique=True)
    resource_id: Mapped[str | None] = mapped_column(String(255))
    # Only a hash of the channel token: a database leak must not allow forged notifications.
    token_hash: Mapped[str] = mapped_column(String(128))
    calendar_id: Mapped[str] = mapped_column(String(1024))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_number: Mapped[int | None] = mapped_column()
    last_notification_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    connection: Mapped[GoogleConnection | None] = relationship(back_populates="channels")

    def __repr__(self) -> str:
        return f"<WatchChannel {self.channel_id}>"
