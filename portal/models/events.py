"""Calendar events: UTC instants plus an IANA zone, or all-day dates with an exclusive end."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.participants import Participant
from portal.models.types import UTCDateTime, utcnow

EVENT_TYPES = {
    "visit": "Participant visit",
    "telehealth": "Telehealth session",
    "phone": "Phone session",
    "provider_meeting": "Provider meeting",
    "case_conference": "Case conference",
    "reassessment": "Plan reassessment",
    "report_due": "Report due",
    "internal": "Internal meeting",
    "other": "Other",
}

EVENT_STATUSES = {
    "scheduled": "Scheduled",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "no_show": "No-show",
}


class Event(db.Model):
    """An appointment on a coordinator's calendar; deleted means tombstoned, never erased."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_owner_start", "owner_id", "start_at"),
        Index("ix_event_owner_start_date", "owner_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(32), default="other")
    all_day: Mapped[bool] = mapped_column(default=False)
    # Timed events: UTC instants; all-day events: dates, end exclusive.
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    time_zone: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(500), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    internal_notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    # Recurrence, as Google writes it: RRULE/EXRULE/RDATE/EXDATE lines joined by newlines,
    # without DTSTART (the event's own start, in its time_zone, is the first occurrence).
    recurrence: Mapped[str | None] = mapped_column(Text)
    # On an exception (a moved, edited or cancelled occurrence): its series and which
    # occurrence it replaces. A cancelled occurrence is an exception that is tombstoned.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    original_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    original_start_date: Mapped[date | None] = mapped_column(Date)
    # Where the event was first created: "portal" or "google".
    origin: Mapped[str] = mapped_column(String(16), default="portal")
    # What kind of Google event this is when it is not an ordinary one (None): see
    # portal/google/sync/kinds.py for the kinds and what Google lets the portal change.
    google_kind: Mapped[str | None] = mapped_column(String(24))
    # On an invitation: the coordinator's answer as Google holds it (accepted, declined ...).
    response_status: Mapped[str | None] = mapped_column(String(16))
    # What the portal shows of Google's copy: organiser, conference link, working location.
    google_details: Mapped[dict | None] = mapped_column(JSON)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "portal" or "google": who deleted it, shown as "deleted in Google".
    deleted_by: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The time of the last change made in the portal (or applied from Google); conflict clock.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped on every change, so a sync can tell whether it pushed the latest version.
    version: Mapped[int] = mapped_column(default=1)

    participant: Mapped[Participant | None] = relationship()
    series: Mapped[Event | None] = relationship(remote_side=[id])

    @property
    def is_series(self) -> bool:
        """Whether this event is the master of a recurring series."""
        return bool(self.recurrence)

    @property
    def is_exception(self) -> bool:
        """Whether this event replaces (or cancels) one occurrence of a series."""
        return self.series_id is not None

    @property
    def is_deleted(self) -> bool:
        """Whether the event is a tombstone."""
        return self.deleted_at is not None

    def exception_for(self, original: datetime | date) -> Event | None:
        """The exception that replaces one occurrence of this series (live or tombstoned)."""
        if isinstance(original, datetime):
            matches = Event.original_start_at == original
        else:
            matches = Event.original_start_date == original
        stmt = select(Event).where(Event.series_id == self.id, matches).order_by(Event.id)
        return db.session.scalars(stmt).first()

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title!r}>"
