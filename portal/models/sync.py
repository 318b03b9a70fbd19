"""The outbox of local changes waiting to be pushed, and the activity log of every sync step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

_OPEN = text("processed_at IS NULL")


class OutboxEntry(db.Model):
    """A local change to push; written in the same transaction as the change itself."""

    __tablename__ = "outbox_entry"
    __table_args__ = (
        Index("ix_outbox_pending", "user_id", "processed_at"),
        # An event's open rows, found on every push; processed rows (most of the table until
        # housekeeping prunes them) stay out of the index.
        Index(
            "ix_outbox_open_event",
            "event_id",
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
        # Housekeeping: processed rows past their keep, oldest first.
        Index("ix_outbox_processed", "processed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    # The event version this entry was written for; the push sends the latest anyway.
    event_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<OutboxEntry {self.id} event={self.event_id}>"


class SyncLog(db.Model):
    """One push, pull, notification, conflict or error, shown on the Google card."""

    __tablename__ = "sync_log"
    __table_args__ = (
        Index("ix_sync_log_connection_created", "connection_id", "created_at"),
        # Housekeeping: rows past their keep, oldest first.
        Index("ix_sync_log_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("google_connection.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # push, pull, import, conflict, error, connect, disconnect, channel, notification
    kind: Mapped[str] = mapped_column(String(20))
    # to_google, from_google, or none
    direction: Mapped[str | None] = mapped_column(String(12))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    google_event_id: Mapped[str | None] = mapped_column(String(1024))
    outcome: Mapped[str] = mapped_column(String(32), default="ok")
    message: Mapped[str] = mapped_column(Text, default="")
    # For conflicts: the losing version, so it is never silently dropped.
    detail: Mapped[dict | None] = mapped_column(JSON)
    reviewed: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<SyncLog {self.kind} {self.outcome}>"
