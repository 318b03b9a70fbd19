"""OAuth 2.0 / OpenID Connect against the emulator, with plain requests and Google's clients."""

from __future__ import annotations

import time

import google.auth.transport.requests
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2 import id_token as google_id_token
from joserfc import jwt
from joserfc.jwk import KeySet

from .helpers import (
    CALENDAR,
    CLIENT_ID,
    CLIENT_SECRET,
    EMAIL,
    EVENTS,
    OTHER_USER,
    PROFILE,
    READONLY,
    REDIRECT_URI,
    USER,
    ConsentPage,
    authorize,
    calendar_service,
    consent_page,
    credentials,
    decide,
    exchange,
    get_tokens,
    pkce_pair,
)


def test_consent_page_shows_accounts_scopes_and_buttons(emulator):
    page = consent_page(emulator.url, ["openid", "email", CALENDAR], login_hint=OTHER_USER)
    assert page.status_code == 200
    form = ConsentPage(page.text)
    assert form.forms[0]["id"] == "consent"
    assert form.forms[0]["method"] == "post"
    assert form.forms[0]["action"] == "/o/oauth2/v2/auth/decision"
    assert form.value("request_id")
    assert set(form.accounts) == {USER, OTHER_USER}
    assert form.selected_account == OTHER_USER
    assert form.checkboxes == {CALENDAR: True}
    assert set(form.fixed_scopes) == {"openid", EMAIL}
    ids = {b.get("id"): b.get("value") for b in form.buttons}
    assert ids == {"allow": "allow", "deny": "deny"}


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"client_id": "nobody.apps.googleusercontent.com"}, 401, "invalid_client"),
        ({"redirect_uri": "http://evil.example/callback"}, 400, "redirect_uri_mismatch"),
        ({"scope": ""}, 400, "invalid_request"),
        ({"scope": "openid https://www.googleapis.com/auth/nope"}, 400, "invalid_scope"),
        ({"response_type": "token"}, 400, "unsupported_response_type"),
    ],
)
def test_bad_authorization_requests_get_an_error_page_never_a_redirect(
    emulator, params, status, error
):
    query = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": f"openid {CALENDAR}",
        "state": "s",
    }
    query.update(params)
    resp = requests.get(
        emulator.url + "/o/oauth2/v2/auth", params=query, allow_redirects=False, timeout=10
    )
    assert resp.status_code == status
    assert "Location" not in resp.headers
    assert error in resp.text


def test_allow_returns_code_scope_and_state_then_tokens(emulator):
    params = authorize(emulator.url, ["openid", "email", "profile", CALENDAR])
    assert params["state"] == ["st-123"]
    assert CALENDAR in params["scope"][0].split()
    resp = exchange(emulator.url, params["code"][0])
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"].startswith("no-cache")
    body = resp.json()
    assert body["access_token"].startswith("ya29.")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3599
    assert body["refresh_token"]
    assert body["id_token"].count(".") == 2
    assert set(body["scope"].split()) == {"openid", EMAIL, PROFILE, CALENDAR}


def test_deny_redirects_with_access_denied(emulator):
    page = consent_page(emulator.url, ["openid", CALENDAR])
    params = decide(emulator.url, page, decision="deny")
    assert params == {"error": ["access_denied"], "state": ["st-123"]}


def test_client_authentication_basic_body_and_bad_secret(emulator):
    code = authorize(emulator.url, [CALENDAR])["code"][0]
    assert exchange(emulator.url, code, basic=True).status_code == 200
    code = authorize(emulator.url, [CALENDAR])["code"][0]
    resp = requests.post(
        emulator.url + "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=(CLIENT_ID, "wrong"),
        timeout=10,
    )
    assert resp.status_code == 401
    assert resp.json() == {"error": "invalid_client", "error_description": "Unauthorized"}


def test_codes_are_single_use_and_bound_to_the_redirect_uri(emulator):
    code = authorize(emulator.url, [CALENDAR])["code"][0]
    assert exchange(emulator.url, code).status_code == 200
    again = exchange(emulator.url, code)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "Bad Request"}
    code = authorize(emulator.url, [CALENDAR])["code"][0]
    wrong = exchange(emulator.url, code, redirect_uri="http://127.0.0.1:5999/other")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "redirect_uri_mismatch"
    assert exchange(emulator.url, "4/0garbage").json()["error"] == "invalid_grant"


def test_pkce_s256(emulator):
    verifier, challenge = pkce_pair()
    kw = {"code_challenge": challenge, "code_challenge_method": "S256"}
    code = authorize(emulator.url, [CALENDAR], **kw)["code"][0]
    bad = exchange(emulator.url, code, code_verifier=pkce_pair()[0])
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant"
    code = authorize(emulator.url, [CALENDAR], **kw)["code"][0]
    assert exchange(emulator.url, code).json()["error"] == "invalid_grant"
    code = authorize(emulator.url, [CALENDAR], **kw)["code"][0]
    assert exchange(emulator.url, code, code_verifier=verifier).status_code == 200


def test_refresh_gives_a_new_access_token_but_no_new_refresh_token(emulator):
    tokens = get_tokens(emulator.url)
    resp = requests.post(
        emulator.url + "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["access_token"] != tokens["access_token"]
    assert "refresh_token" not in body
    assert body["scope"] == tokens["scope"]


def test_refresh_after_revoke_is_invalid_grant(emulator):
    tokens = get_tokens(emulator.url)
    revoke = requests.post(
        emulator.url + "/revoke",
        params={"token": tokens["access_token"]},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert revoke.status_code == 200
    resp = requests.post(
        emulator.url + "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        timeout=10,
    )
    assert resp.status_code == 400
    assert resp.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    again = requests.post(emulator.url + "/revoke", data={"token": tokens["refresh_token"]})
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_token"
    # The access token died with the grant.
    info = requests.get(
        emulator.url + "/v1/userinfo",
        headers={"Authorization": "Bearer " + tokens["access_token"]},
        timeout=10,
    )
    assert info.status_code == 401


def test_revoking_the_refresh_token_in_the_body_revokes_the_grant(emulator):
    tokens = get_tokens(emulator.url)
    assert requests.post(emulator.url + "/revoke", data={"token": tokens["refresh_token"]}).ok
    assert emulator.state.grants_of(USER) == []


def test_unticked_scope_is_not_granted(emulator):
    params = authorize(emulator.url, ["openid", CALENDAR, EVENTS], untick=(CALENDAR,))
    assert CALENDAR not in params["scope"][0].split()
    body = exchange(emulator.url, params["code"][0]).json()
    assert set(body["scope"].split()) == {"openid", EVENTS}
    service = calendar_service(emulator.url, credentials(emulator.url, body))
    with pytest.raises(Exception) as err:
        service.calendarList().list().execute()
    assert err.value.resp.status == 403


def test_include_granted_scopes_and_refresh_token_only_on_first_consent(emulator):
    first = get_tokens(emulator.url, ["openid", READONLY])
    assert "refresh_token" in first
    params = authorize(emulator.url, [EVENTS], include_granted_scopes="true")
    assert set(params["scope"][0].split()) == {"openid", READONLY, EVENTS}
    second = exchange(emulator.url, params["code"][0]).json()
    assert "refresh_token" not in second
    assert set(second["scope"].split()) == {"openid", READONLY, EVENTS}
    third = get_tokens(emulator.url, [EVENTS], prompt="consent")
    assert third["refresh_token"] != first["refresh_token"]
    online = get_tokens(emulator.url, [EVENTS], access_type="online", prompt="consent")
    assert "refresh_token" not in online


def test_unsupported_grant_type(emulator):
    resp = requests.post(
        emulator.url + "/token",
        data={"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=10,
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "unsupported_grant_type"


def test_id_token_verifies_with_google_auth_and_jwks(emulator):
    body = get_tokens(emulator.url, ["openid", "email", "profile", CALENDAR], nonce="n-42")
    request = google.auth.transport.requests.Request()
    claims = google_id_token.verify_token(
        body["id_token"], request, audience=CLIENT_ID, certs_url=emulator.url + "/oauth2/v1/certs"
    )
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["email"] == USER
    assert claims["email_verified"] is True
    assert claims["nonce"] == "n-42"
    assert claims["sub"] == emulator.state.users[USER].sub
    assert claims["exp"] > time.time()

    config = requests.get(emulator.url + "/.well-known/openid-configuration", timeout=10).json()
    assert config["issuer"] == "https://accounts.google.com"
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "revocation_endpoint",
        "jwks_uri",
    ):
        assert config[key].startswith(emulator.url + "/")
    jwks = requests.get(config["jwks_uri"], timeout=10).json()
    decoded = jwt.decode(body["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": "https://accounts.google.com"},
        aud={"essential": True, "value": CLIENT_ID},
    ).validate(decoded.claims)


def test_userinfo(emulator):
    body = get_tokens(emulator.url, ["openid", "email", "profile"])
    resp = requests.get(
        emulator.url + "/v1/userinfo",
        headers={"Authorization": "Bearer " + body["access_token"]},
        timeout=10,
    )
    info = resp.json()
    assert info["email"] == USER
    assert info["email_verified"] is True
    assert info["name"] == "Casey Coordinator"
    assert info["given_name"] == "Casey"
    assert info["family_name"] == "Coordinator"
    assert info["picture"].startswith("http")
    emulator.state.expire_access_tokens(USER)
    resp = requests.get(
        emulator.url + "/v1/userinfo",
        headers={"Authorization": "Bearer " + body["access_token"]},
        timeout=10,
    )
    assert resp.status_code == 401


def test_google_credentials_refresh_when_the_access_token_expired(emulator, service, creds):
    before = creds.token
    service.calendarList().list().execute()
    emulator.state.clear_request_log()
    emulator.state.expire_access_tokens()
    items = service.calendarList().list().execute()["items"]
    assert items[0]["id"] == USER
    assert creds.token != before
    statuses = [(e["method"], e["status"]) for e in emulator.state.request_log()]
    assert statuses == [
        ("calendar.calendarList.list", 401),
        ("oauth2.token", 200),
        ("calendar.calendarList.list", 200),
    ]


def test_google_credentials_refresh_fails_after_revocation(emulator, creds):
    emulator.state.revoke_grants(USER)
    request = google.auth.transport.requests.Request()
    with pytest.raises(RefreshError) as err:
        creds.refresh(request)
    assert "invalid_grant" in str(err.value)


def test_token_lifetime_is_configurable(emulator):
    emulator.state.configure(token_lifetime=60)
    assert get_tokens(emulator.url)["expires_in"] == 60
