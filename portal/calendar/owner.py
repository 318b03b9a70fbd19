"""Whose calendar a calendar request shows: the viewer's own, or (for an admin) a colleague's.

auth/access.py decides who may view whom; this module remembers the choice for the request,
so the links drawn while viewing a colleague stay on their calendar.
"""

from __future__ import annotations

from flask import g
from flask_login import current_user

from portal.auth.access import calendar_owner
from portal.models import User

# The calendar links that stay on the coordinator being viewed (`?coordinator=`).
FOLLOW_OWNER = {"calendar.week", "calendar.fingerprint", "calendar.new", "calendar.create"}


def viewed_owner(requested: str | None) -> User:
    """The coordinator named by `?coordinator=` if the viewer may see them (else 404), or
    the viewer; remembered for the links of this request."""
    owner = calendar_owner(requested)
    if owner.id != current_user.id:
        g.viewed_coordinator = owner.id
    return owner


def follow_owner(endpoint: str, values: dict) -> None:
    """url_defaults: links drawn while viewing a colleague's calendar stay on that calendar."""
    viewed = g.get("viewed_coordinator")
    if viewed is not None and endpoint in FOLLOW_OWNER:
        values.setdefault("coordinator", viewed)
