"""Sessions end for real: a cookie saved before logout (or a password change) opens nothing."""

from __future__ import annotations

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from portal.auth.accounts import set_password
from portal.extensions import db
from tests import factories

PAGES = ("/calendar", "/participants")


def fresh_get(client: FlaskClient, page: str):
    """A GET as a new request would see it: the test's app context keeps g between requests."""
    g.pop("_login_user", None)
    return client.get(page)


def saved_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(client: FlaskClient, cookie: str) -> None:
    client.set_cookie("session", cookie)


def assert_logged_out(client: FlaskClient) -> None:
    for page in PAGES:
        response = fresh_get(client, page)
        assert response.status_code == 302, page
        assert "/login" in response.headers["Location"]


def test_a_cookie_saved_before_logout_opens_nothing_afterwards(client, coordinator):
    for page in PAGES:
        assert client.get(page).status_code == 200
    cookie = saved_cookie(client)
    client.post("/logout")
    replay(client, cookie)
    assert_logged_out(client)


def test_logging_out_on_one_device_ends_the_session_on_every_other(app: Flask, client, auth):
    user = factories.make_user()
    db.session.commit()
    other_device = app.test_client()
    for device in (client, other_device):
        assert device.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert other_device.get("/calendar").status_code == 200
    auth.logout()
    assert_logged_out(other_device)


def test_a_password_change_ends_every_session(client, coordinator):
    cookie = saved_cookie(client)
    set_password(coordinator, "a brand new passphrase")
    db.session.commit()
    replay(client, cookie)
    assert_logged_out(client)
    response = client.post(
        "/login", data={"email": coordinator.email, "password": "a brand new passphrase"}
    )
    assert response.status_code == 302
    assert client.get("/calendar").status_code == 200


def test_logging_in_again_after_logout_works(client, coordinator, auth):
    auth.logout()
    assert auth.login(coordinator.email).status_code == 302
    assert client.get("/participants").status_code == 200


@pytest.mark.parametrize("forged", ["1", "1.x", "x.0", "", ".", "1.0.0", "99999.0"])
def test_a_session_id_of_any_other_shape_is_nobody(client, coordinator, forged):
    with client.session_transaction() as session:
        session["_user_id"] = forged
    assert fresh_get(client, "/calendar").status_code == 302
