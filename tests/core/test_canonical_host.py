"""A page opened at another host name is sent to PUBLIC_BASE_URL's host before anything else."""

import pytest

from portal import create_app
from portal.config import load_config
from tests.conftest import base_config

PUBLIC = "http://localhost:5200"


@pytest.fixture
def config_overrides() -> dict:
    """Development's setting: redirect to PUBLIC_BASE_URL's host."""
    return {"CANONICAL_HOST_REDIRECT": True, "PUBLIC_BASE_URL": PUBLIC}


def test_a_page_at_another_host_is_redirected_with_its_path_and_query(client):
    response = client.get("/calendar?day=2026-12-01", base_url="http://127.0.0.1:5200")
    assert response.status_code == 308
    assert response.headers["Location"] == PUBLIC + "/calendar?day=2026-12-01"


def test_a_form_posted_to_another_host_keeps_its_method(client):
    response = client.post("/login", data={"email": "x"}, base_url="http://127.0.0.1:5200")
    assert response.status_code == 308 and response.headers["Location"] == PUBLIC + "/login"


def test_the_public_host_itself_is_served(client):
    response = client.get("/login", base_url=PUBLIC)
    assert response.status_code == 200


def test_the_health_check_answers_at_any_host(client):
    assert client.get("/healthz", base_url="http://127.0.0.1:5200").status_code == 200


def test_outside_development_every_host_is_served_unless_asked(database_url, redis_url):
    app = create_app({**base_config(database_url, redis_url), "PUBLIC_BASE_URL": PUBLIC})
    response = app.test_client().get("/login", base_url="http://127.0.0.1:5200")
    assert response.status_code == 200


def test_development_redirects_by_default():
    assert load_config({"COORDINOTER_ENV": "development"})["CANONICAL_HOST_REDIRECT"] is True
    assert load_config({"COORDINOTER_ENV": "test"})["CANONICAL_HOST_REDIRECT"] is False
