"""Businesses and their coordinators."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow


class Business(db.Model):
    """A Support Coordination practice: the tenant every record belongs to."""

    __tablename__ = "business"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="business")

    def __repr__(self) -> str:
        return f"<Business {self.id} {self.name!r}>"


class User(UserMixin, db.Model):
    """A coordinator: one login, one business, one time zone."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    time_zone: Mapped[str] = mapped_column(String(64), default="Australia/Sydney")
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Part of every session's id (get_id): raising it ends every session of this coordinator.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Overrides UserMixin.is_active: Flask-Login refuses to sign in or load an inactive user.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    business: Mapped[Business] = relationship(back_populates="users")

    def get_id(self) -> str:
        """The session's user id: the row id and the session version (auth/sessions.py)."""
        return f"{self.id}.{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"
