"""Reading participants: always within one business."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Participant


def participants_of(business_id: int) -> list[Participant]:
    """The business's participants, by name."""
    stmt = (
        select(Participant)
        .where(Participant.business_id == business_id)
        .order_by(Participant.name, Participant.id)
    )
    return list(db.session.scalars(stmt))
