"""Every route of the portal, for each kind of visitor, against the rule auth/access.py gives it.

A route without a rule in ROUTE_RULES fails here; so does a route that lets in someone its rule
keeps out, or keeps out someone it should let in. Each case runs on a fresh database, so the
routes that change things (deactivate, log out) cannot spoil the next one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.auth.access import ADMIN, CALENDAR, MEMBER, PUBLIC, ROUTE_RULES, SELF
from portal.extensions import db
from portal.models import GoogleConnection, SyncLog
from portal.team.operations import invite_member
from tests import factories
from tests.team.conftest import Team, google_connection, sign_in

ROLES = ("anonymous", "coordinator", "admin", "outsider")
# The endpoints served elsewhere: static files (Flask's), and the Google webhook, which is
# WSGI middleware in front of Flask and takes no session at all.
NOT_RULED = {"static"}
SERIES_KEY = "20261125T230000Z"
FORM = {"title": "Changed", "scope": "this", "email": "new.person@example.com", "admin": "1"}


@pytest.fixture
def config_overrides(config_overrides: dict) -> dict:
    """Google configured (no call reaches it), so its routes do more than say "not set up"."""
    return {
        **config_overrides,
        "GOOGLE_CLIENT_ID": "test-client.apps.googleusercontent.com",
        "GOOGLE_CLIENT_SECRET": "test-secret",
    }


def test_every_route_has_a_rule(app: Flask):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_RULED
    assert endpoints - set(ROUTE_RULES) == set(), "give these routes a rule in auth/access.py"
    assert set(ROUTE_RULES) - endpoints == set(), "these rules name no route"


@pytest.fixture
def world(team: Team) -> dict:
    """Rows of the first business for every kind of id a route takes."""
    start = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    series = factories.make_event(
        team.colleague, title="Weekly", start=start, recurrence="RRULE:FREQ=WEEKLY;COUNT=3"
    )
    participant = factories.make_participant(team.admin.business_id)
    invite = invite_member(team.admin, "invited@example.com")
    for user in (team.coordinator, team.admin, team.outsider):
        db.session.add(google_connection(user))
    db.session.flush()
    own = db.session.query(GoogleConnection).filter_by(user_id=team.coordinator.id).one()
    conflict = SyncLog(
        connection_id=own.id, user_id=team.coordinator.id, kind="conflict", message="Both changed"
    )
    db.session.add(conflict)
    db.session.commit()
    return {
        "event_id": series.id,
        "key": SERIES_KEY,
        "participant_id": participant.id,
        "invite_id": invite.invite.id,
        "member_id": team.colleague.id,
        "log_id": conflict.id,
        "token": invite.token,
    }


def _cases() -> list[tuple[str, str, str]]:
    return [(endpoint, rule, role) for endpoint, rule in ROUTE_RULES.items() for role in ROLES]


def expected(rule: str, role: str, names_a_row: bool) -> str:
    """What a visitor should meet: "login", "refused" (404) or "reached"."""
    if rule == PUBLIC:
        return "reached"
    if role == "anonymous":
        return "login"
    if role == "outsider":
        # The other business's admin: its own pages, never the first business's rows.
        return "refused" if names_a_row else "reached"
    if rule == MEMBER or (role == "admin" and rule in (CALENDAR, ADMIN)):
        return "reached"
    if rule == SELF:
        return "reached" if role == "coordinator" else "refused"
    if rule == CALENDAR:
        return "reached" if not names_a_row else "refused"
    return "refused"  # ADMIN, for a coordinator


def outcome(response) -> str:
    """How a route answered: "login", "refused" or "reached"."""
    location = response.headers.get("Location", "")
    if response.status_code == 401 or (response.status_code == 302 and "/login?next=" in location):
        return "login"
    if response.status_code in (403, 404):
        return "refused"
    assert response.status_code < 500, response.text
    return "reached"


def requests_for(app: Flask, endpoint: str, values: dict) -> list[tuple[str, str]]:
    """(method, URL) for each method the endpoint answers, with the world's ids filled in."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules(endpoint):
        url = adapter.build(endpoint, {name: values[name] for name in rule.arguments})
        found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


@pytest.mark.parametrize(("endpoint", "rule", "role"), _cases())
def test_route_follows_its_rule(
    app: Flask, client: FlaskClient, team: Team, world: dict, endpoint, rule, role
):
    names_a_row = any(
        rule.arguments - {"key"} for rule in app.url_map.iter_rules(endpoint) if rule.arguments
    )
    sign_in(client, None if role == "anonymous" else getattr(team, role))
    want = expected(rule, role, names_a_row)
    for method, url in requests_for(app, endpoint, world):
        response = client.open(url, method=method, data=FORM if method == "POST" else None)
        assert outcome(response) == want, (method, url, response.status_code)


# The week and the new-event form also show a colleague's calendar, for an admin only.
OTHERS_CALENDAR = [
    ("GET", "/calendar"),
    ("GET", "/calendar/fingerprint"),
    ("GET", "/calendar/events/new"),
    ("POST", "/calendar/events"),
]


@pytest.mark.parametrize(("method", "path"), OTHERS_CALENDAR)
@pytest.mark.parametrize("role", ROLES)
def test_a_colleagues_calendar_is_an_admins_only(
    client: FlaskClient, team: Team, world: dict, method, path, role
):
    sign_in(client, None if role == "anonymous" else getattr(team, role))
    url = f"{path}?coordinator={team.colleague.id}"
    response = client.open(url, method=method, data=FORM if method == "POST" else None)
    assert outcome(response) == expected(CALENDAR, role, names_a_row=True)
