"""The business integrations page: each coordinator's Google state, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import User, WatchChannel
from portal.models.types import utcnow
from tests import factories
from tests.support.sql import recorded_statements
from tests.team.conftest import Team, google_connection, log_in


@pytest.fixture
def config_overrides() -> dict:
    return {"GOOGLE_CLIENT_ID": "client-id", "GOOGLE_CLIENT_SECRET": "client-secret"}


def connect(user: User, channel_expires_in: timedelta | None = None, **fields) -> None:
    """Give a member a connection and, when asked, a channel expiring after the given time."""
    connection = google_connection(user, **({"last_sync_at": utcnow()} | fields))
    db.session.add(connection)
    db.session.flush()
    if channel_expires_in is not None:
        db.session.add(
            WatchChannel(
                connection_id=connection.id,
                channel_id=f"channel-{user.id}",
                token_hash="h",
                calendar_id=connection.calendar_id,
                expires_at=utcnow() + channel_expires_in,
            )
        )
    db.session.commit()


def rows(page: str) -> dict[int, tuple[str, str]]:
    """Each member's row: its state and its live-updates cell."""
    found = re.findall(
        r'data-member-id="(\d+)" data-state="(\w+)">.*?</td>\s*<td>.*?</td>'
        r"\s*<td>(.*?)</td>",
        page,
        re.S,
    )
    return {int(member): (state, live) for member, state, live in found}


def test_each_coordinator_shows_their_state_and_whether_google_tells_us_live(app, team: Team):
    connect(team.coordinator, channel_expires_in=timedelta(days=3))
    connect(team.colleague, channel_expires_in=-timedelta(minutes=1))
    connect(team.admin, state="needs_reconnect")
    page = log_in(app, team.admin).get("/team/integrations").text
    shown = rows(page)
    assert shown[team.coordinator.id] == ("connected", "On")
    assert shown[team.colleague.id][0] == "connected"
    assert shown[team.colleague.id][1].startswith("Off")
    assert shown[team.admin.id][0] == "needs_reconnect" and "Needs to reconnect" in page


def test_a_coordinator_without_google_is_not_connected(app, team: Team):
    page = log_in(app, team.admin).get("/team/integrations").text
    assert rows(page)[team.coordinator.id][0] == "not_connected"


def test_the_page_costs_the_same_queries_for_twelve_coordinators_as_for_three(app, team: Team):
    admin = log_in(app, team.admin)
    for member in (team.coordinator, team.colleague):
        connect(member, channel_expires_in=timedelta(days=3))
    admin.get("/team/integrations")
    # Both counts start from the same forgotten rows: the test shares the requests' session.
    db.session.commit()
    with recorded_statements() as few:
        assert admin.get("/team/integrations").status_code == 200
    business = db.session.get(User, team.admin.id).business
    for n in range(9):
        member = factories.make_user(business=business, email=f"more{n}@example.com")
        db.session.commit()
        connect(member, channel_expires_in=timedelta(days=3))
    with recorded_statements() as many:
        page = admin.get("/team/integrations").text
    assert len(rows(page)) == 12
    assert len(many) == len(few)
