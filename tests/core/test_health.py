"""The health check and the shell every page shares."""

from portal import create_app
from tests.conftest import base_config


def test_healthz_is_ok_when_database_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_says_redis_is_down_and_why_only_in_the_log(database_url, caplog):
    # Port 1 on loopback refuses connections: a real "Redis is down".
    app = create_app({**base_config(database_url, "redis://127.0.0.1:1/0")})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok", "redis": "down"}
    assert "ConnectionError" not in response.text
    assert "redis down: ConnectionError" in caplog.text


def test_healthz_says_the_database_is_down_and_why_only_in_the_log(redis_url, caplog):
    app = create_app({**base_config("postgresql+psycopg://postgres@127.0.0.1:1/none", redis_url)})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "down", "redis": "ok"}
    assert "Error" not in response.text and "127.0.0.1" not in response.text
    assert "database down: OperationalError" in caplog.text


def test_every_page_has_the_nav_and_the_help_button(client, coordinator):
    page = client.get("/calendar").text
    for label in ("Calendar", "Participants", "Business Portal", "Manage Integrations"):
        assert label in page
    assert 'class="help-button"' in page


def test_help_panel_is_a_fragment_for_htmx_and_a_page_otherwise(client, coordinator):
    fragment = client.get("/help", headers={"HX-Request": "true"}).text
    assert "Google Calendar connection" in fragment
    assert "<html" not in fragment
    assert "<html" in client.get("/help").text


def test_unknown_page_is_a_friendly_404(client, coordinator):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "could not find" in response.text
