"""Reading participants: always within one business."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Participant


def participants_of(
    business_id: int, archived: bool = False, keeping: int | None = None
) -> list[Participant]:
    """The business's participants by name: the current ones, or the archived ones.

    keeping: a participant shown whatever its state (an event's own, archived since), so
    an event keeps its participant when it is edited.
    """
    shown = Participant.archived_at.is_not(None) if archived else Participant.archived_at.is_(None)
    if keeping is not None:
        shown = shown | (Participant.id == keeping)
    stmt = (
        select(Participant)
        .where(Participant.business_id == business_id, shown)
        .order_by(Participant.name, Participant.id)
    )
    return list(db.session.scalars(stmt))


def others_with_ndis_number(
    business_id: int, ndis_number: str, except_id: int | None = None
) -> list[Participant]:
    """Other participants of the business (archived ones too) with this NDIS number."""
    stmt = select(Participant).where(
        Participant.business_id == business_id, Participant.ndis_number == ndis_number
    )
    if except_id is not None:
        stmt = stmt.where(Participant.id != except_id)
    return list(db.session.scalars(stmt.order_by(Participant.name, Participant.id)))
