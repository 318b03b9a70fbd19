"""Authlib's Flask client (what the portal uses) completes the OpenID flow against the emulator."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask, jsonify

from .helpers import CLIENT_ID, CLIENT_SECRET, EVENTS, REDIRECT_URI, USER, decide


def test_authlib_flask_client_login_with_pkce_and_id_token(emulator):
    app = Flask(__name__)
    app.secret_key = "test"
    oauth = OAuth(app)
    oauth.register(
        "google",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        server_metadata_url=emulator.url + "/.well-known/openid-configuration",
        client_kwargs={"scope": f"openid email profile {EVENTS}", "code_challenge_method": "S256"},
        authorize_params={"access_type": "offline", "prompt": "consent"},
    )

    @app.get("/connect")
    def connect():
        return oauth.google.authorize_redirect(REDIRECT_URI)

    @app.get("/google/callback")
    def callback():
        token = oauth.google.authorize_access_token()
        return jsonify(token)

    client = app.test_client()
    start = client.get("/connect")
    assert start.status_code == 302
    consent = requests.get(start.headers["Location"], timeout=10)
    assert consent.status_code == 200
    params = decide(emulator.url, consent)
    query = {k: v[0] for k, v in params.items()}
    token = client.get("/google/callback", query_string=query).get_json()
    assert token["refresh_token"]
    assert EVENTS in token["scope"].split()
    assert token["userinfo"]["email"] == USER
    assert token["userinfo"]["iss"] == "https://accounts.google.com"
    assert parse_qs(urlparse(start.headers["Location"]).query)["code_challenge_method"] == ["S256"]
