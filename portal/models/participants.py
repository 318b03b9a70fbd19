"""NDIS participants a business coordinates supports for."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class Participant(db.Model):
    """A participant; never copied to Google."""

    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    ndis_number: Mapped[str] = mapped_column(String(9))
    plan_start: Mapped[date | None] = mapped_column(Date)
    plan_end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when archived: records are kept for years, so a participant is never deleted.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_archived(self) -> bool:
        """Whether the participant is archived (hidden from lists and choices)."""
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Participant {self.id} {self.name!r}>"
