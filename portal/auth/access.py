"""Who is logged in, and the tenancy rule: a business sees only its own rows."""

from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_login import current_user

from portal.extensions import db
from portal.models import User

M = TypeVar("M")


def load_user(user_id: str) -> User | None:
    """flask-login's loader: the user for a session id, or None."""
    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


def get_for_business(model: type[M], object_id: int) -> M:
    """The row with this id if it belongs to the current user's business, else 404."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.business_id != current_user.business_id:
        abort(404)
    return obj
