"""Who may reach what: the tenancy rule and, within a business, the calendar rule.

A business sees only its own rows. Within it, a coordinator reaches the events (internal
notes included) of their own calendar and the business's participants; an admin reaches
every coordinator's calendar too, and manages the team and the business's integrations.
Every event route goes through get_event, every calendar view through calendar_owner, every
admin page through admin_required: the rules are written here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, current_app
from flask_login import current_user

from portal.extensions import db
from portal.models import Event, User

M = TypeVar("M")
P = ParamSpec("P")
R = TypeVar("R")


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
    return event.owner_id == user.id or is_admin(user)


def get_event(event_id: int) -> Event:
    """The event with this id if the current user may reach it, else 404 (never 403)."""
    # 404 like another business's: whether someone else's event exists is not said either.
    event = db.session.get(Event, event_id)
    if event is None or not may_reach_event(current_user, event):
        abort(404)
    return event


# Who may do what within a business, in one place. Every route is listed by endpoint in
# ROUTE_RULES; tests/team/test_access_matrix.py walks the URL map and fails for a route
# without a rule, so a new route has to say who reaches it.
PUBLIC = "public"  # anyone, signed in or not
MEMBER = "member"  # any signed-in member, for their own account or the business's rows
CALENDAR = "calendar"  # the event's own coordinator, or an admin of its business (get_event)
SELF = "self"  # the signed-in member's own rows only, admins included
ADMIN = "admin"  # a signed-in admin of the business (admin_required)

ROUTE_RULES: dict[str, str] = {
    "core.index": PUBLIC,
    "core.healthz": PUBLIC,
    "core.help_panel": PUBLIC,
    "core.help_check": MEMBER,
    "auth.signup": PUBLIC,
    "auth.login": PUBLIC,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "team.join": PUBLIC,
    "auth.logout": MEMBER,
    # The week and new events: the viewer's own calendar, or with ?coordinator= (an admin
    # only: calendar_owner) a colleague's.
    "calendar.week": MEMBER,
    "calendar.fingerprint": MEMBER,
    "calendar.new": MEMBER,
    "calendar.create": MEMBER,
    "calendar.dismiss": MEMBER,
    "calendar.edit": CALENDAR,
    "calendar.update": CALENDAR,
    "calendar.delete": CALENDAR,
    "calendar.occurrence_form": CALENDAR,
    "calendar.save_occurrence": CALENDAR,
    "calendar.delete_occurrences": CALENDAR,
    "calendar_google.answer": CALENDAR,
    "participants.index": MEMBER,
    "participants.new": MEMBER,
    "participants.edit": MEMBER,
    "participants.archive": MEMBER,
    "participants.restore": MEMBER,
    # A coordinator's own Google connection: nobody else's, an admin's neither.
    "integrations.index": MEMBER,
    "integrations.google_card": MEMBER,
    "integrations.sync_now": MEMBER,
    "integrations.conflicts": MEMBER,
    "integrations.conflict_reviewed": SELF,
    "google.connect": MEMBER,
    "google.reconnect": MEMBER,
    "google.callback": MEMBER,
    "google.calendar_picker": MEMBER,
    "google.change_calendar": MEMBER,
    "google.privacy": MEMBER,
    "google.confirm_disconnect": MEMBER,
    "google.disconnect": MEMBER,
    "settings.page": MEMBER,
    "settings.profile": MEMBER,
    "settings.password": MEMBER,
    "team.members": ADMIN,
    "team.invite": ADMIN,
    "team.revoke": ADMIN,
    "team.set_admin": ADMIN,
    "team.deactivate": ADMIN,
    "team.integrations": ADMIN,
    "team.remind": ADMIN,
}


def rule_for(endpoint: str) -> str | None:
    """The access rule of an endpoint: PUBLIC, MEMBER or ADMIN (None: nobody wrote one)."""
    return ROUTE_RULES.get(endpoint)


def is_admin(user: User) -> bool:
    """Whether this member manages the business: the team, and every coordinator's calendar."""
    return bool(user.is_authenticated and user.is_active and user.is_admin)


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """View decorator: signed in (else the login page) and an admin (else 404, as elsewhere)."""

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not is_admin(current_user):
            abort(404)
        return view(*args, **kwargs)

    return guarded


def may_view_calendar_of(user: User, owner: User) -> bool:
    """Whether this member may see and change owner's calendar (and its internal notes)."""
    if owner.business_id != user.business_id:
        return False
    return owner.id == user.id or is_admin(user)


def calendar_owner(requested: str | None) -> User:
    """The coordinator whose calendar a calendar route shows: `?coordinator=<id>` if the current
    user may view it (else 404), or the current user's own."""
    if not requested:
        return current_user._get_current_object()
    owner = db.session.get(User, int(requested)) if requested.isdigit() else None
    if owner is None or not may_view_calendar_of(current_user, owner):
        abort(404)
    return owner
