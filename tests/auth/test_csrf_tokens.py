"""The CSRF token: replaced at login, and it expires."""

from __future__ import annotations

import re
import time

import pytest
from flask.testing import FlaskClient

from portal.extensions import db
from tests import factories


def csrf_token_on(client: FlaskClient, page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(page).text)
    assert match, page
    return match.group(1)


@pytest.fixture
def config_overrides() -> dict:
    return {"WTF_CSRF_ENABLED": True}


def test_the_csrf_token_seen_before_login_is_refused_after_it(client, app):
    user = factories.make_user()
    db.session.commit()
    before = csrf_token_on(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": before}
    )
    assert response.status_code == 302
    stale = client.post("/logout", data={"csrf_token": before})
    assert stale.status_code == 400
    assert "Your form expired" in stale.text
    fresh = csrf_token_on(client, "/participants")
    assert fresh != before
    assert client.post("/logout", data={"csrf_token": fresh}).status_code == 302


def test_a_csrf_token_expires(client, app):
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    user = factories.make_user()
    db.session.commit()
    token = csrf_token_on(client, "/login")
    # itsdangerous counts whole seconds: older than 1 s means at least 2 s later.
    time.sleep(2.1)
    response = client.post(
        "/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 400


def test_the_csrf_token_has_a_lifetime_by_default():
    from portal.config import load_config

    config = load_config({"COORDINOTER_ENV": "test"})
    assert 0 < config["WTF_CSRF_TIME_LIMIT"] <= 24 * 3600
