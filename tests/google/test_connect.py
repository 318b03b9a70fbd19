"""Sign in with Google, end to end over HTTP against the emulator: every way it can end."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.google.account import oauth
from portal.google.account.crypto import decrypt
from portal.models import GoogleConnection, SyncLog
from tests import factories
from tests.google.conftest import GOOGLE_USER, OTHER_GOOGLE_USER, PUBLIC_BASE_URL
from tests.support.worker import queued_jobs


def the_connection() -> GoogleConnection:
    db.session.expire_all()
    return db.session.scalars(select(GoogleConnection)).one()


def card(client) -> str:
    return client.get("/portal/integrations/google/card", headers={"HX-Request": "true"}).text


def test_sign_in_asks_google_for_least_privilege_offline_access_with_pkce(
    coordinator, connect_flow
):
    url = connect_flow.start()
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["redirect_uri"] == PUBLIC_BASE_URL + "/google/callback"
    assert query["scope"].split() == [
        "openid",
        "email",
        "https://www.googleapis.com/auth/calendar.events",
        "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    ]
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert query["include_granted_scopes"] == "true"
    assert len(query["state"]) >= 20
    assert the_connection().state == "connecting"


def test_allowing_access_connects_the_primary_calendar_and_starts_the_import(
    coordinator, connect_flow, google, client
):
    response = connect_flow.run()

    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/integrations"
    connection = the_connection()
    assert connection.state == "importing"
    assert connection.google_email == GOOGLE_USER
    assert connection.google_sub == google.state.users[GOOGLE_USER].sub
    # The real id of the primary calendar, not the "primary" alias.
    assert connection.calendar_id == GOOGLE_USER
    assert oauth.CALENDAR_EVENTS in connection.scopes.split()
    assert connection.refresh_token_enc and connection.access_token_enc
    assert decrypt(connection.refresh_token_enc).startswith("1//")
    assert connection.token_expires_at is not None
    assert queued_jobs() == [("import_job", (connection.id,))]
    assert google.count("oauth2.token") == 1
    html = card(client)
    assert "Importing your Google Calendar… Imported 0 events" in html
    assert GOOGLE_USER in html
    assert 'hx-trigger="every 2s"' in html


def test_declining_access_leaves_google_not_connected_and_offers_to_try_again(
    coordinator, connect_flow, google, client
):
    response = connect_flow.run(decision="deny")

    assert response.status_code == 302
    connection = the_connection()
    assert connection.state == "disconnected"
    assert connection.access_token_enc is None and connection.refresh_token_enc is None
    assert google.count("oauth2.token") == 0
    html = card(client)
    assert "You declined access" in html
    assert "Try again" in html and 'action="/google/connect"' in html
    assert "every 2s" not in html


def test_a_callback_with_an_unknown_state_is_a_400_and_stores_nothing(
    coordinator, connect_flow, google, client
):
    location = google.decide(connect_flow.start())
    forged = location.replace("state=", "state=forged")

    response = connect_flow.callback(forged)

    assert response.status_code == 400
    assert "not valid any more" in response.text
    assert google.count("oauth2.token") == 0
    assert the_connection().access_token_enc is None


def test_a_callback_without_any_sign_in_started_is_a_400(coordinator, client, google):
    response = client.get("/google/callback?code=abc&state=xyz")
    assert response.status_code == 400
    assert db.session.scalars(select(GoogleConnection)).first() is None


def test_replaying_a_used_callback_is_a_400_and_changes_nothing(coordinator, connect_flow, google):
    location = google.decide(connect_flow.start())
    assert connect_flow.callback(location).status_code == 302
    before = the_connection().access_token_enc

    replay = connect_flow.callback(location)

    assert replay.status_code == 400
    assert google.count("oauth2.token") == 1
    assert the_connection().access_token_enc == before


def test_a_callback_belongs_to_the_coordinator_who_started_it(
    coordinator, connect_flow, google, auth
):
    location = google.decide(connect_flow.start())
    auth.logout()
    someone_else = factories.make_user(email="someone@example.com")
    db.session.commit()
    auth.login(someone_else.email)

    response = connect_flow.callback(location)

    assert response.status_code == 400
    assert google.count("oauth2.token") == 0


@pytest.mark.parametrize(
    ("unticked", "explanation"),
    [
        (oauth.CALENDAR_EVENTS, "Coordinoter needs permission to see and edit events"),
        (oauth.CALENDAR_LIST, "Coordinoter needs permission to see your list of Google calendars"),
    ],
)
def test_unticking_a_calendar_permission_explains_and_saves_no_tokens(
    coordinator, connect_flow, client, unticked, explanation
):
    connect_flow.run(untick=(unticked,))

    connection = the_connection()
    assert connection.state == "disconnected"
    assert connection.access_token_enc is None and connection.google_sub is None
    html = card(client)
    assert explanation in html
    assert "Try again" in html


@pytest.mark.parametrize(
    ("status", "reason", "says"),
    [
        (400, "invalid_grant", "Google did not accept the sign-in"),
        (503, None, "Google did not answer"),
        (500, None, "Google did not answer"),
    ],
)
def test_token_endpoint_errors_are_explained_on_the_card(
    coordinator, connect_flow, google, client, status, reason, says
):
    google.state.add_fault("oauth2.token", status, reason)

    response = connect_flow.run()

    assert response.status_code == 302
    connection = the_connection()
    assert connection.state == "disconnected"
    assert connection.access_token_enc is None
    assert says in card(client)


def test_userinfo_failing_connects_nothing(coordinator, connect_flow, google, client):
    google.state.add_fault("oauth2.userinfo", 503)
    connect_flow.run()
    assert the_connection().access_token_enc is None
    assert "Google did not answer" in card(client)


def test_calendar_list_failing_connects_nothing(coordinator, connect_flow, google, client):
    google.state.add_fault("calendar.calendarList.list", 500)
    connect_flow.run()
    assert the_connection().state == "disconnected"
    assert the_connection().access_token_enc is None
    assert "Google did not answer while we were setting up" in card(client)


def test_no_refresh_token_keeps_the_stored_one_for_the_same_account(
    coordinator, connect_flow, monkeypatch
):
    connect_flow.run()
    stored = decrypt(the_connection().refresh_token_enc)
    # Without prompt=consent Google does not hand out a second refresh token.
    monkeypatch.delitem(oauth.AUTHORIZE_PARAMS, "prompt")

    connect_flow.run()

    connection = the_connection()
    assert connection.state == "importing"
    assert decrypt(connection.refresh_token_enc) == stored


def test_no_refresh_token_and_none_stored_asks_to_sign_in_again(
    coordinator, connect_flow, client, monkeypatch
):
    connect_flow.run()
    connection = the_connection()
    # As after a disconnect whose revoke never reached Google: the grant lives on there.
    connection.access_token_enc = connection.refresh_token_enc = None
    connection.state = "disconnected"
    db.session.commit()
    monkeypatch.delitem(oauth.AUTHORIZE_PARAMS, "prompt")

    response = connect_flow.run()

    assert response.status_code == 302
    connection = the_connection()
    assert connection.state == "disconnected"
    assert connection.access_token_enc is None
    assert "did not give Coordinoter lasting access" in card(client)


def test_a_google_account_linked_to_another_coordinator_is_refused(
    coordinator, connect_flow, google, client
):
    elsewhere = factories.make_user(business_name="Another Practice", email="x@example.org")
    db.session.add(
        GoogleConnection(
            user_id=elsewhere.id,
            business_id=elsewhere.business_id,
            google_sub=google.state.users[GOOGLE_USER].sub,
            google_email=GOOGLE_USER,
            state="connected",
        )
    )
    db.session.commit()

    connect_flow.run(account=GOOGLE_USER)

    mine = db.session.scalar(
        select(GoogleConnection).where(GoogleConnection.user_id == coordinator.id)
    )
    assert mine.state == "disconnected" and mine.access_token_enc is None
    assert "already connected to another Coordinoter user" in card(client)
    # A different account of the same person is fine.
    connect_flow.run(account=OTHER_GOOGLE_USER)
    db.session.expire_all()
    assert mine.state == "importing" and mine.google_email == OTHER_GOOGLE_USER


def test_every_attempt_is_in_the_activity_log(coordinator, connect_flow):
    connect_flow.run(decision="deny")
    connect_flow.run()
    rows = db.session.scalars(select(SyncLog).order_by(SyncLog.id)).all()
    assert [(r.kind, r.outcome) for r in rows] == [("connect", "failed"), ("connect", "ok")]
    assert "Connected casey.coordinator@gmail.com" in rows[1].message


def test_signing_in_when_google_is_not_configured_is_a_404(app, coordinator, client):
    app.config["GOOGLE_CLIENT_ID"] = None
    assert client.post("/google/connect").status_code == 404


def test_sign_in_and_callback_need_a_logged_in_coordinator(client, google):
    assert client.post("/google/connect").status_code == 302
    assert "/login" in client.get("/google/callback?code=a&state=b").headers["Location"]


def test_the_sign_in_button_is_csrf_protected(coordinator, app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/google/connect")
    assert response.status_code == 400
    assert "form expired" in response.text
