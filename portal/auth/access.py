"""Who is logged in, and the tenancy rule: a business sees only its own rows."""

from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_login import current_user

from portal.extensions import db

M = TypeVar("M")


def get_for_business(model: type[M], object_id: int) -> M:
    """The row with this id if it belongs to the current user's business, else 404."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.business_id != current_user.business_id:
        abort(404)
    return obj
