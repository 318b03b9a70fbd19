"""Adding, changing, archiving and restoring participants; views commit."""

from __future__ import annotations

from datetime import date

from portal.extensions import db
from portal.models import Participant, utcnow


def create_participant(
    business_id: int,
    name: str,
    ndis_number: str,
    plan_start: date | None = None,
    plan_end: date | None = None,
) -> Participant:
    """Add a participant to a business; flushes."""
    participant = Participant(business_id=business_id)
    _apply(participant, name, ndis_number, plan_start, plan_end)
    db.session.add(participant)
    db.session.flush()
    return participant


def update_participant(
    participant: Participant,
    name: str,
    ndis_number: str,
    plan_start: date | None = None,
    plan_end: date | None = None,
) -> Participant:
    """Change a participant's details; flushes."""
    _apply(participant, name, ndis_number, plan_start, plan_end)
    db.session.flush()
    return participant


def archive_participant(participant: Participant) -> Participant:
    """Hide a participant from the list and the event form; its events keep it. Flushes."""
    if participant.archived_at is None:
        participant.archived_at = utcnow()
        db.session.flush()
    return participant


def restore_participant(participant: Participant) -> Participant:
    """Bring an archived participant back to the list and the event form; flushes."""
    participant.archived_at = None
    db.session.flush()
    return participant


def _apply(
    participant: Participant,
    name: str,
    ndis_number: str,
    plan_start: date | None,
    plan_end: date | None,
) -> None:
    # Workers and scripts call these too, so the rules the form checks hold here as well.
    if not name.strip() or len(name.strip()) > 120:
        raise ValueError("a participant needs a name of at most 120 characters")
    if len(ndis_number) != 9 or not ndis_number.isascii() or not ndis_number.isdigit():
        raise ValueError("an NDIS number is exactly 9 digits")
    if plan_start and plan_end and plan_end < plan_start:
        raise ValueError("a plan cannot end before it starts")
    participant.name = name.strip()
    participant.ndis_number = ndis_number
    participant.plan_start = plan_start
    participant.plan_end = plan_end
