"""What admin pages show about mail: whether it can be sent, and what did not go."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import MailMessage


def unsent_mail_for_business(business_id: int, limit: int = 20) -> list[MailMessage]:
    """The business's mail that has not gone (waiting to be tried again, failed, or written
    while mail was not set up), newest first."""
    stmt = (
        select(MailMessage)
        .where(MailMessage.business_id == business_id, MailMessage.status != "sent")
        .order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
