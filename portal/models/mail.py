"""Every email the portal sends: one row each, sent by a job (portal/mail/)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

# queued: waiting for its job (again, after a failed try); sent: the SMTP server took it;
# failed: refused for good, or out of tries; not_configured: written while SMTP_URL was
# unset, so nothing was sent and nothing pretends it was.
MAIL_STATUSES = ("queued", "sent", "failed", "not_configured")


class MailMessage(db.Model):
    """One email: whom to, what kind, its text, and how sending it went."""

    __tablename__ = "mail_message"
    __table_args__ = (
        # The clock's sweep: queued rows whose next try is due, soonest first, with a limit.
        Index("ix_mail_message_due", "status", "next_attempt_at"),
        # A business's mail of one kind, newest first (the daily summary's once-a-day check).
        Index("ix_mail_message_business_kind", "business_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the sweep may send a queued row again if its own job was lost (portal/mail/queue.py).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)

    def __repr__(self) -> str:
        return f"<MailMessage {self.id} {self.kind} {self.status}>"
