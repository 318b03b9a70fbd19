"""When a coordinator's Google sync broke, whether they were told, and when it was fixed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

NEEDS_RECONNECT = "needs_reconnect"
LIVE_UPDATES_OFF = "live_updates_off"
CALENDAR_GONE = "calendar_gone"
INCIDENT_KINDS = (NEEDS_RECONNECT, LIVE_UPDATES_OFF, CALENDAR_GONE)

_OPEN = text("closed_at IS NULL")


class SyncIncident(db.Model):
    """One break of one connection's sync, from when it was seen until it was fixed."""

    __tablename__ = "sync_incident"
    __table_args__ = (
        # One open incident per connection and kind: one email per break, not per failed job.
        Index(
            "uq_sync_incident_open",
            "connection_id",
            "kind",
            unique=True,
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
        # Open incidents by kind and age (the live-updates check), and by business (admins).
        Index(
            "ix_sync_incident_open_kind",
            "kind",
            "opened_at",
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
        Index(
            "ix_sync_incident_open_business",
            "business_id",
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("google_connection.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"))
    kind: Mapped[str] = mapped_column(String(30))
    # What happened, in the coordinator's words, as it was when the incident opened.
    message: Mapped[str] = mapped_column(Text, default="")
    # When the break was first seen; live updates count as off only an hour after that.
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the coordinator's email was queued; None while a live-updates break is too young.
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<SyncIncident {self.id} {self.kind} connection={self.connection_id}>"
