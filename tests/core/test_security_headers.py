"""Security headers: one test per header, then a scan of every route's response."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal import create_app
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parents[2]
FIXED = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
)


def csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_csp_runs_our_own_scripts_only(client):
    policy = csp(client.get("/login"))
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    header = client.get("/login").headers["Content-Security-Policy"]
    assert "unsafe-eval" not in header
    assert "'unsafe-inline'" not in " ".join(policy["script-src"] + policy["style-src"])


def test_csp_refuses_framing(client):
    assert csp(client.get("/login"))["frame-ancestors"] == ["'none'"]


def test_csp_lets_forms_go_only_here_and_to_google_sign_in(client, app):
    assert csp(client.get("/login"))["form-action"] == ["'self'", "https://accounts.google.com"]


def test_x_frame_options_deny(client):
    assert client.get("/login").headers["X-Frame-Options"] == "DENY"


def test_x_content_type_options_nosniff(client):
    assert client.get("/login").headers["X-Content-Type-Options"] == "nosniff"


def test_referrer_policy_same_origin(client):
    assert client.get("/login").headers["Referrer-Policy"] == "same-origin"


def test_hsts_only_when_the_public_url_is_https(app, database_url, redis_url):
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    https = create_app(
        {**base_config(database_url, redis_url), "PUBLIC_BASE_URL": "https://portal.example"}
    )
    assert (
        https.test_client()
        .get("/login")
        .headers["Strict-Transport-Security"]
        .startswith("max-age=")
    )


def test_pages_seen_logged_in_are_no_store(client, coordinator):
    for page in ("/calendar", "/participants", "/portal/integrations"):
        assert client.get(page).headers["Cache-Control"] == "no-store", page


def test_static_files_stay_cacheable_when_logged_in(client, coordinator):
    response = client.get("/static/css/portal.css")
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_the_webhook_answers_carry_the_headers_too(client):
    response = client.post("/google/notify")
    for name in FIXED:
        assert name in response.headers, name


def htmx_config(page: str) -> dict:
    match = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)
    assert match
    return json.loads(match.group(1))


def test_htmx_runs_without_eval_and_without_swapped_scripts(client):
    config = htmx_config(client.get("/login").text)
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["historyCacheSize"] == 0


INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=|javascript:|hx-on|hx-vals=['\"]js:|"
    r"hx-trigger=\"[^\"]*\[",
    re.IGNORECASE,
)


@pytest.mark.parametrize("template", sorted((ROOT / "templates").rglob("*.html")), ids=str)
def test_no_template_has_inline_script_or_handlers(template: Path):
    assert not INLINE_SCRIPT.findall(template.read_text())


# Placeholder values for every URL variable: the scan wants each route's answer, found or not.
SAMPLE = {"filename": "css/portal.css", "occurrence": "20261005T090000"}


def every_url(app: Flask) -> list[tuple[str, str]]:
    """(method, url) for every rule of the app, GET where it takes GET."""
    urls = []
    for rule in app.url_map.iter_rules():
        values = {arg: SAMPLE.get(arg, "1") for arg in rule.arguments}
        url = app.url_map.bind("localhost").build(rule.endpoint, values)
        method = "GET" if "GET" in rule.methods else "POST"
        if rule.endpoint != "auth.logout":
            urls.append((method, url))
    return sorted(set(urls))


def scan(client: FlaskClient, app: Flask):
    for method, url in every_url(app):
        response = client.open(url, method=method)
        assert response.status_code < 500, (method, url)
        yield method, url, response


def test_every_route_anonymous_carries_the_headers(client, app):
    for method, url, response in scan(client, app):
        missing = [name for name in FIXED if name not in response.headers]
        assert not missing, (method, url, missing)


def test_every_route_logged_in_carries_the_headers_and_no_store(client, app, coordinator):
    urls = every_url(app)
    assert len(urls) > 20
    for method, url, response in scan(client, app):
        missing = [name for name in FIXED if name not in response.headers]
        assert not missing, (method, url, missing)
        if not url.startswith("/static/"):
            assert response.headers.get("Cache-Control") == "no-store", (method, url)
