"""Who may reach what: the tenancy rule and, within a business, the calendar rule.

A business sees only its own rows. Within it, a coordinator reaches the events (internal
notes included) of their own calendar; an admin reaches every coordinator's. Every event
route goes through get_event, so the rule is written here and nowhere else.
"""

from __future__ import annotations

from typing import TypeVar

from flask import abort
from flask_login import current_user

from portal.extensions import db
from portal.models import Event, User

M = TypeVar("M")


def get_for_business(model: type[M], object_id: int) -> M:
    """The row with this id if it belongs to the current user's business, else 404."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.business_id != current_user.business_id:
        abort(404)
    return obj


def may_reach_event(user: User, event: Event) -> bool:
    """Whether this coordinator may open, change or delete this event."""
    if event.business_id != user.business_id:
        return False
    return user.is_admin or event.owner_id == user.id


def get_event(event_id: int) -> Event:
    """The event with this id if the current user may reach it, else 404 (never 403)."""
    # 404 like another business's: whether someone else's event exists is not said either.
    event = db.session.get(Event, event_id)
    if event is None or not may_reach_event(current_user, event):
        abort(404)
    return event
