"""Invites that bring a colleague into a business."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.accounts import Business, User
from portal.models.types import UTCDateTime, utcnow


class MemberInvite(db.Model):
    """An emailed, single-use link to join a business as a coordinator."""

    __tablename__ = "member_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    # SHA-256 of the link's random token: a copy of the database cannot be used to join.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    accepted_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    business: Mapped[Business] = relationship()
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])

    def is_open(self, now: datetime) -> bool:
        """Whether the link can still be used: not accepted, not withdrawn, not expired."""
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at

    def __repr__(self) -> str:
        return f"<MemberInvite {self.id} {self.email}>"
