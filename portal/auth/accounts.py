"""Creating businesses and coordinators, and checking passwords."""

from __future__ import annotations

from functools import cache

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.auth.passwords import password_problem
from portal.auth.sessions import end_all_sessions
from portal.extensions import db
from portal.models import Business, User


def normalise_email(email: str) -> str:
    """Lower-case and trim an email address for storage and lookup."""
    return email.strip().lower()


def email_taken(email: str) -> bool:
    """Whether a coordinator already uses this email."""
    stmt = select(func.count()).select_from(User).where(User.email == normalise_email(email))
    return db.session.scalar(stmt) > 0


def create_business_with_admin(
    business_name: str, name: str, email: str, password: str, time_zone: str
) -> User:
    """Create a Business and its first coordinator (an admin); flushes, does not commit."""
    business = Business(name=business_name.strip())
    user = User(
        business=business,
        name=name.strip(),
        email=normalise_email(email),
        password_hash=hash_allowed_password(password),
        time_zone=time_zone,
        is_admin=True,
    )
    db.session.add_all([business, user])
    db.session.flush()
    return user


class PasswordNotAllowed(ValueError):
    """The password breaks the password rule; the message says why."""


def hash_allowed_password(password: str) -> str:
    """The hash of a password that passes the rule, else PasswordNotAllowed."""
    problem = password_problem(password)
    if problem:
        raise PasswordNotAllowed(problem)
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def set_password(user: User, password: str) -> None:
    """Give a coordinator a new password and end every session they have (flushes)."""
    user.password_hash = hash_allowed_password(password)
    end_all_sessions(user)


def authenticate(email: str, password: str) -> User | None:
    """The active user whose email and password match, else None (deactivated: None too)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    matches = check_password_hash(user.password_hash, password)
    return user if matches and user.is_active else None


@cache
def _dummy_hash(method: str) -> str:
    """A real hash to check when the email is unknown, so timing does not reveal accounts."""
    return generate_password_hash("not-a-real-password", method=method)
