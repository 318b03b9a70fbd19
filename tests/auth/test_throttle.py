"""Failed log-ins are throttled per account and per client address, in Redis."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app
from portal.extensions import db
from tests import factories
from tests.conftest import base_config


@pytest.fixture
def config_overrides() -> dict:
    return {
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per 5 minutes",
        "LOGIN_LIMIT_PER_ADDRESS": "5 per 5 minutes",
    }


def attempt(client: FlaskClient, email: str, password: str = "wrong password!", address="10.1.1.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def user(app: Flask):
    user = factories.make_user()
    db.session.commit()
    return user


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 300
    assert "Too many failed log-ins" in response.text
    assert 'name="password"' in response.text


def test_failed_logins_per_account_are_throttled_even_with_the_right_password(client, user):
    for _ in range(3):
        assert attempt(client, user.email).status_code == 400
    assert_throttled(attempt(client, user.email))
    assert_throttled(attempt(client, user.email, factories.PASSWORD, address="10.9.9.9"))


def test_the_account_limit_is_the_account_whatever_its_spelling(client, user):
    for spelling in (user.email, user.email.upper(), f"  {user.email} "):
        assert attempt(client, spelling).status_code == 400
    assert_throttled(attempt(client, user.email))


def test_failed_logins_per_address_are_throttled_across_accounts(client, user):
    for n in range(5):
        assert attempt(client, f"guess{n}@example.com").status_code == 400
    assert_throttled(attempt(client, user.email, factories.PASSWORD))
    assert attempt(client, user.email, factories.PASSWORD, address="10.2.2.2").status_code == 302


def test_successful_logins_and_page_views_do_not_count(client, user):
    for _ in range(6):
        assert client.get("/login").status_code == 200
        assert attempt(client, user.email, factories.PASSWORD).status_code == 302
        client.post("/logout")
    assert attempt(client, user.email).status_code == 400


def test_refused_attempts_do_not_lengthen_the_wait(client, user, redis_url):
    from redis import Redis

    for _ in range(3):
        attempt(client, user.email)
    redis = Redis.from_url(redis_url)
    counted = {key: redis.zcard(key) for key in redis.scan_iter("coordinoter-throttle*")}
    for _ in range(5):
        assert attempt(client, user.email).status_code == 429
    assert {key: redis.zcard(key) for key in redis.scan_iter("coordinoter-throttle*")} == counted


def test_every_web_process_shares_the_counters(client, user, database_url, redis_url):
    for _ in range(3):
        attempt(client, user.email)
    other = create_app(
        {**base_config(database_url, redis_url), "LOGIN_LIMIT_PER_ACCOUNT": "3 per 5 minutes"}
    )
    assert_throttled(attempt(other.test_client(), user.email, factories.PASSWORD))


def test_the_router_address_is_believed_only_when_configured(app, client, user):
    def through_router(forwarded: str):
        return client.post(
            "/login",
            data={"email": f"{forwarded}@example.com", "password": "wrong password!"},
            headers={"X-Forwarded-For": forwarded},
        )

    # No proxy configured (development): X-Forwarded-For is the client's word, ignored.
    for n in range(5):
        assert through_router(f"10.3.3.{n}").status_code == 400
    assert through_router("10.3.3.9").status_code == 429


def test_behind_the_router_each_forwarded_client_counts_alone(user, database_url, redis_url):
    app = create_app(
        {
            **base_config(database_url, redis_url),
            "LOGIN_LIMIT_PER_ADDRESS": "2 per 5 minutes",
            "TRUSTED_PROXY_HOPS": 1,
        }
    )
    client = app.test_client()

    def via_router(client_address: str, n: int):
        return client.post(
            "/login",
            data={"email": f"guess{n}@example.com", "password": "wrong password!"},
            headers={"X-Forwarded-For": f"198.51.100.7, {client_address}"},
        )

    assert [via_router("203.0.113.1", n).status_code for n in range(3)] == [400, 400, 429]
    assert via_router("203.0.113.2", 9).status_code == 400
