"""Creating, changing and deleting calendar events; every change is queued for Google."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from portal.core.timezones import is_valid_zone
from portal.extensions import db
from portal.google.sync import kinds
from portal.google.sync.outbox import record_change
from portal.models import EVENT_STATUSES, EVENT_TYPES, Event, Participant, User, utcnow

# The answers a coordinator can give to an invitation (Google's responseStatus values).
ANSWERS = ("accepted", "tentative", "declined")


@dataclass(frozen=True)
class EventData:
    """What a coordinator decides about an event; dates here are already exclusive at the end."""

    title: str
    time_zone: str
    event_type: str = "other"
    all_day: bool = False
    start_at: datetime | None = None
    end_at: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None
    participant_id: int | None = None
    location: str = ""
    notes: str = ""
    internal_notes: str = ""
    status: str = "scheduled"
    cancel_reason: str = ""

    @classmethod
    def of(cls, event: Event) -> EventData:
        """What an event is now, as data a change can start from."""
        return cls(
            title=event.title,
            time_zone=event.time_zone,
            event_type=event.event_type,
            all_day=event.all_day,
            start_at=event.start_at,
            end_at=event.end_at,
            start_date=event.start_date,
            end_date=event.end_date,
            participant_id=event.participant_id,
            location=event.location,
            notes=event.notes,
            internal_notes=event.internal_notes,
            status=event.status,
            cancel_reason=event.cancel_reason,
        )


def create_event(owner: User, data: EventData) -> Event:
    """Add an event to owner's calendar and queue it for Google; flushes."""
    _check(owner.business_id, data)
    event = Event(business_id=owner.business_id, owner_id=owner.id, origin="portal")
    _apply(event, data)
    db.session.add(event)
    db.session.flush()
    record_change(event)
    return event


def bump_version(event: Event) -> None:
    """Count a local change from the version in the database, not the one this request read.

    A pull may have committed Google's change since the row was loaded; counting from the
    stale value would give this save the pulled version's number, and the push would then
    think Google already has it.
    """
    event.version = Event.version + 1


def update_event(event: Event, data: EventData) -> Event:
    """Change an event, bump its version and queue it for Google; flushes."""
    _check(event.business_id, data)
    _apply(event, data)
    bump_version(event)
    db.session.flush()
    record_change(event)
    return event


def answer_invitation(event: Event, response: str) -> Event:
    """Give the coordinator's answer to an invitation and queue it for Google; flushes."""
    if not kinds.can_answer(event) or response not in ANSWERS:
        raise ValueError("only an invitation can be answered, with accepted, tentative or declined")
    event.response_status = response
    event.updated_at = utcnow()
    bump_version(event)
    db.session.flush()
    record_change(event)
    return event


def delete_event(event: Event) -> Event:
    """Tombstone an event (records are kept for years) and queue the deletion; flushes."""
    now = utcnow()
    event.deleted_at = now
    event.deleted_by = "portal"
    event.updated_at = now
    bump_version(event)
    db.session.flush()
    record_change(event)
    return event


def _check(business_id: int, data: EventData) -> None:
    """Refuse data no form should let through: these functions also run outside requests."""
    if not data.title.strip():
        raise ValueError("an event needs a title")
    if data.event_type not in EVENT_TYPES or data.status not in EVENT_STATUSES:
        raise ValueError("unknown event type or status")
    if not is_valid_zone(data.time_zone):
        raise ValueError(f"unknown time zone {data.time_zone!r}")
    if data.all_day:
        if data.start_date is None or data.end_date is None or data.end_date <= data.start_date:
            raise ValueError("an all-day event needs start_date < end_date (exclusive)")
    elif data.start_at is None or data.end_at is None or data.end_at <= data.start_at:
        raise ValueError("a timed event needs start_at < end_at")
    if data.participant_id is not None:
        participant = db.session.get(Participant, data.participant_id)
        if participant is None or participant.business_id != business_id:
            raise ValueError("the participant belongs to another business")


def _apply(event: Event, data: EventData) -> None:
    now = utcnow()
    event.title = data.title.strip()
    event.event_type = data.event_type
    event.time_zone = data.time_zone
    event.participant_id = data.participant_id
    event.location = data.location
    event.notes = data.notes
    event.internal_notes = data.internal_notes
    event.all_day = data.all_day
    # Exactly one representation is kept, so a reader never has to guess which is current.
    if data.all_day:
        event.start_at = event.end_at = None
        event.start_date, event.end_date = data.start_date, data.end_date
    else:
        event.start_date = event.end_date = None
        event.start_at, event.end_at = data.start_at, data.end_at
    if data.status == "cancelled":
        # Keep the first cancellation time: short-notice cancellations are billed by it.
        if event.status != "cancelled" or event.cancelled_at is None:
            event.cancelled_at = now
        event.cancel_reason = data.cancel_reason
    else:
        event.cancelled_at = None
        event.cancel_reason = ""
    event.status = data.status
    event.updated_at = now
