"""Changing one's own account; plain functions that flush, the request commits."""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from portal.auth.accounts import normalise_email, set_password
from portal.extensions import db
from portal.models import User


class SettingsError(ValueError):
    """A change refused; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def update_profile(user: User, name: str, email: str, time_zone: str) -> None:
    """Change a member's name, email (unique) and time zone; flushes."""
    email = normalise_email(email)
    if email != user.email and _email_used_by_other(user, email):
        raise SettingsError("email", "Someone else already uses this email.")
    user.name, user.email, user.time_zone = name.strip(), email, time_zone
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; ends every session (flushes)."""
    if not check_password_hash(user.password_hash, current):
        raise SettingsError("current_password", "This is not your current password.")
    set_password(user, new)


def _email_used_by_other(user: User, email: str) -> bool:
    stmt = select(func.count()).where(User.email == email, User.id != user.id)
    return (db.session.scalar(stmt) or 0) > 0
