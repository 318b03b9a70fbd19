"""A coordinator sees and changes only their own Google connection."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import GoogleConnection, SyncLog
from tests import factories


@pytest.fixture
def theirs(other_business_user) -> GoogleConnection:
    """Another business's coordinator, connected, with a conflict to review."""
    connection = GoogleConnection(
        user_id=other_business_user.id,
        business_id=other_business_user.business_id,
        state="connected",
        google_sub="2002",
        google_email="other.practice@gmail.com",
        calendar_id="other.practice@gmail.com",
        refresh_token_enc="x",
    )
    db.session.add(connection)
    db.session.flush()
    db.session.add(
        SyncLog(
            connection_id=connection.id,
            user_id=other_business_user.id,
            kind="conflict",
            message="their conflict",
            detail={"title": "Their private title"},
        )
    )
    db.session.commit()
    return connection


def test_another_business_cannot_see_the_connection(coordinator, theirs, client):
    html = client.get("/portal/integrations").text
    assert "other.practice@gmail.com" not in html
    assert 'data-state="not_connected"' in html
    page = client.get("/portal/integrations/google/conflicts").text
    assert "Their private title" not in page


def test_another_business_cannot_change_the_connection(coordinator, theirs, client):
    conflict = db.session.query(SyncLog).one()
    assert (
        client.post(f"/portal/integrations/google/conflicts/{conflict.id}/reviewed").status_code
        == 404
    )
    assert client.get("/google/disconnect").status_code == 404
    assert client.post("/google/disconnect", data={"remove_events": "remove"}).status_code == 404
    assert client.post("/google/privacy", data={"privacy_level": "full"}).status_code == 404
    assert client.get("/google/calendar").status_code == 404
    client.post("/portal/integrations/google/sync")
    db.session.expire_all()
    assert theirs.state == "connected" and theirs.privacy_level == "private_title"
    assert conflict.reviewed is False


def test_a_colleague_in_the_same_business_cannot_change_it_either(coordinator, client):
    colleague = factories.make_user(business=coordinator.business, email="colleague@example.com")
    db.session.add(SyncLog(user_id=colleague.id, kind="conflict", message="colleague's conflict"))
    db.session.commit()
    conflict = db.session.query(SyncLog).one()
    assert (
        client.post(f"/portal/integrations/google/conflicts/{conflict.id}/reviewed").status_code
        == 404
    )


def test_the_banner_is_only_for_the_coordinator_whose_sync_stopped(coordinator, theirs, client):
    theirs.state = "needs_reconnect"
    db.session.commit()
    assert "google-reconnect-banner" not in client.get("/calendar").text
