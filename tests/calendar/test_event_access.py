"""Within a business: a coordinator reaches their own calendar's events, an admin everyone's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import g
from flask.testing import FlaskClient

from portal.auth.access import may_reach_event
from portal.extensions import db
from portal.models import Event, User
from tests import factories

KEY = "20261125T230000Z"


@pytest.fixture
def team(app):
    """An admin and two coordinators of one business, and a coordinator of another."""
    business = factories.make_business()
    admin = factories.make_user(business=business, email="admin@example.com")
    owner = factories.make_user(business=business, email="owner@example.com")
    colleague = factories.make_user(business=business, email="colleague@example.com")
    outsider = factories.make_user(email="outsider@example.org", business_name="Other")
    owner.is_admin = colleague.is_admin = outsider.is_admin = False
    start = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    single = factories.make_event(owner, internal_notes="Private: family conflict", start=start)
    series = factories.make_event(
        owner, title="Weekly", start=start, recurrence="RRULE:FREQ=WEEKLY;COUNT=3"
    )
    db.session.commit()
    return {
        "admin": admin,
        "owner": owner,
        "colleague": colleague,
        "outsider": outsider,
        "single": single.id,
        "series": series.id,
    }


def as_user(client: FlaskClient, user: User) -> FlaskClient:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    return client


def send(client: FlaskClient, method: str, url: str):
    # The test's app context keeps g between requests: each request finds its own user.
    g.pop("_login_user", None)
    return client.open(url, method=method, data={"title": "Changed", "scope": "this"})


def routes(team: dict) -> list[tuple[str, str]]:
    single, series = team["single"], team["series"]
    return [
        ("GET", f"/calendar/events/{single}/edit"),
        ("POST", f"/calendar/events/{single}"),
        ("POST", f"/calendar/events/{single}/delete"),
        ("GET", f"/calendar/events/{series}/occurrences/{KEY}/edit"),
        ("POST", f"/calendar/events/{series}/occurrences/{KEY}"),
        ("POST", f"/calendar/events/{series}/occurrences/{KEY}/delete"),
    ]


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_no_one_else_reaches_a_coordinators_events(client, team, who):
    as_user(client, team[who])
    for method, url in routes(team):
        response = send(client, method, url)
        assert response.status_code == 404, (who, method, url)
        assert "family conflict" not in response.text
    db.session.expire_all()
    assert db.session.get(Event, team["single"]).deleted_at is None
    assert db.session.get(Event, team["single"]).title == "Home visit"


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_the_owner_and_an_admin_reach_them_internal_notes_included(client, team, who):
    as_user(client, team[who])
    edit = send(client, "GET", f"/calendar/events/{team['single']}/edit")
    assert edit.status_code == 200
    assert "family conflict" in edit.text
    occurrence = send(client, "GET", f"/calendar/events/{team['series']}/occurrences/{KEY}/edit")
    assert occurrence.status_code == 200
    assert send(client, "POST", f"/calendar/events/{team['single']}/delete").status_code < 400


def test_the_rule_in_one_place(team):
    event = db.session.get(Event, team["single"])
    assert may_reach_event(team["owner"], event)
    assert may_reach_event(team["admin"], event)
    assert not may_reach_event(team["colleague"], event)
    assert not may_reach_event(team["outsider"], event)
    team["outsider"].is_admin = True
    assert not may_reach_event(team["outsider"], event)
