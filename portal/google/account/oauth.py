"""Sign in with Google: Authlib's Flask OAuth client, configured from the GOOGLE_* settings.

The same code talks to Google and to the emulator: only the endpoint URLs differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Flask, current_app, redirect, session
from werkzeug.wrappers import Response

from portal.core.queue import redis_connection
from portal.google.account import crypto

CALENDAR_EVENTS = "https://www.googleapis.com/auth/calendar.events"
CALENDAR_LIST = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
CALENDAR_APP_CREATED = "https://www.googleapis.com/auth/calendar.app.created"
# Least privilege: who the account is, its events, and the list of its calendars.
BASE_SCOPES = ("openid", "email", CALENDAR_EVENTS, CALENDAR_LIST)
REQUIRED_SCOPES = (CALENDAR_EVENTS, CALENDAR_LIST)
# Google reports the short identity scopes by their long names.
SCOPE_ALIASES = {"email": "https://www.googleapis.com/auth/userinfo.email"}

PURPOSE_CONNECT = "connect"
PURPOSE_NEW_CALENDAR = "new_calendar"
# How long a started sign-in may wait on Google's consent page.
STATE_TTL_SECONDS = 600
EXTENSION_KEY = "coordinoter.google_oauth"
HTTP_TIMEOUT = 15
AUTHORIZE_PARAMS = {
    # Offline access is what yields a refresh token, so sync runs while nobody is signed in.
    "access_type": "offline",
    # Forces the consent screen, which is what makes Google issue a fresh refresh token.
    "prompt": "consent",
    # Incremental authorisation: a later consent adds to the earlier grant.
    "include_granted_scopes": "true",
}


class StateMismatch(Exception):
    """The callback's state is unknown, expired, already used, or someone else's."""


class OAuthFailure(Exception):
    """Google's answer gives us no usable tokens; the message is for the coordinator."""

    def __init__(self, message: str, purpose: str = PURPOSE_CONNECT) -> None:
        super().__init__(message)
        self.message = message
        self.purpose = purpose


@dataclass
class Authorization:
    """A finished authorization: Google's token answer, who signed in, and why we asked."""

    token: dict[str, Any]
    userinfo: dict[str, Any]
    purpose: str
    granted_scopes: frozenset[str]


class RedisStateCache:
    """Authlib's state store in Redis, shared by every web process; each state works once."""

    prefix = "coordinoter:oauth-state:"

    def get(self, key: str) -> bytes | None:
        """Read and delete in one step, so a replayed callback finds nothing."""
        return redis_connection().getdel(self.prefix + key)

    def set(self, key: str, value: str, timeout: int | None = None) -> None:
        """Keep the state data until the consent page can no longer come back."""
        redis_connection().set(self.prefix + key, value, ex=timeout or STATE_TTL_SECONDS)

    def delete(self, key: str) -> None:
        """Forget the state data."""
        redis_connection().delete(self.prefix + key)


def init_app(app: Flask) -> None:
    """Register the Google OAuth client for this app (one registry per app, none global)."""
    crypto.check_config(app.config)
    registry = OAuth(app, cache=RedisStateCache())
    registry.register(
        "google",
        client_id=app.config.get("GOOGLE_CLIENT_ID"),
        client_secret=app.config.get("GOOGLE_CLIENT_SECRET"),
        authorize_url=app.config["GOOGLE_AUTH_URI"],
        access_token_url=app.config["GOOGLE_TOKEN_URI"],
        userinfo_endpoint=app.config["GOOGLE_USERINFO_URI"],
        client_kwargs={
            "scope": " ".join(BASE_SCOPES),
            "code_challenge_method": "S256",
            "default_timeout": HTTP_TIMEOUT,
        },
    )
    registry.google.framework.expires_in = STATE_TTL_SECONDS
    app.extensions[EXTENSION_KEY] = registry


def is_configured(config: dict | None = None) -> bool:
    """Whether this server has a Google OAuth client id and secret."""
    config = current_app.config if config is None else config
    return bool(config.get("GOOGLE_CLIENT_ID") and config.get("GOOGLE_CLIENT_SECRET"))


def redirect_uri() -> str:
    """The callback Google sends the browser back to (registered in the Google console)."""
    return current_app.config["PUBLIC_BASE_URL"] + "/google/callback"


def _google():
    registry = current_app.extensions.get(EXTENSION_KEY)
    if registry is None:
        raise RuntimeError("Call portal.google.account.oauth.init_app(app) in create_app.")
    return registry.google


def authorization_redirect(
    user_id: int,
    purpose: str = PURPOSE_CONNECT,
    login_hint: str | None = None,
    extra_scopes: tuple[str, ...] = (),
) -> Response:
    """Send the browser to Google's consent page with state, PKCE (S256) and offline access."""
    google = _google()
    params: dict[str, Any] = {"scope": " ".join(BASE_SCOPES + extra_scopes), **AUTHORIZE_PARAMS}
    if login_hint:
        params["login_hint"] = login_hint
    started = google.create_authorization_url(redirect_uri(), **params)
    # Besides Authlib's own data (PKCE verifier, nonce) we remember who started it and why.
    google.save_authorize_data(
        redirect_uri=redirect_uri(), purpose=purpose, user_id=user_id, **started
    )
    return redirect(started["url"])


def _consume_state(user_id: int, state: str | None) -> dict[str, Any]:
    framework = _google().framework
    if not state:
        raise StateMismatch("no state")
    data = framework.get_state_data(session, state)
    framework.clear_state_data(session, state)
    if not data or data.get("user_id") != user_id:
        raise StateMismatch("unknown, used or foreign state")
    return data


def finish_authorization(user_id: int, args: Mapping[str, str]) -> Authorization:
    """Check the callback's state, then exchange the code and read who signed in.

    `args` are the callback's query arguments (state, and code or error).
    """
    data = _consume_state(user_id, args.get("state"))
    purpose = data.get("purpose", PURPOSE_CONNECT)
    error = args.get("error")
    if error:
        raise OAuthFailure(_callback_error_message(error, purpose), purpose)
    code = args.get("code")
    if not code:
        raise OAuthFailure("Google sent no authorisation code. Please try again.", purpose)
    token = _exchange(code, data, purpose)
    userinfo = _userinfo(token, purpose)
    return Authorization(token, userinfo, purpose, granted_scopes(token.get("scope", "")))


def _exchange(code: str, data: dict[str, Any], purpose: str) -> dict[str, Any]:
    # Not authorize_access_token(): that would verify the id_token against a JWKS URL we do
    # not configure. We take the identity from the userinfo endpoint instead, which is sound
    # for a token received straight from the token endpoint over TLS (OIDC Core 3.1.3.7).
    try:
        token = _google().fetch_access_token(
            redirect_uri=data["redirect_uri"], code=code, code_verifier=data.get("code_verifier")
        )
    except OAuthError as exc:
        raise OAuthFailure(_token_error_message(exc.error), purpose) from exc
    except (requests.RequestException, ValueError) as exc:
        raise OAuthFailure(GOOGLE_UNAVAILABLE, purpose) from exc
    if not token.get("access_token"):
        raise OAuthFailure(GOOGLE_UNAVAILABLE, purpose)
    return dict(token)


def _userinfo(token: dict[str, Any], purpose: str) -> dict[str, Any]:
    try:
        info = dict(_google().userinfo(token=token))
    except (requests.RequestException, ValueError) as exc:
        raise OAuthFailure(GOOGLE_UNAVAILABLE, purpose) from exc
    if not info.get("sub"):
        raise OAuthFailure(GOOGLE_UNAVAILABLE, purpose)
    return info


def granted_scopes(scope: str) -> frozenset[str]:
    """The scopes Google granted (long names), from a token answer's `scope`."""
    return frozenset(SCOPE_ALIASES.get(s, s) for s in (scope or "").split())


def missing_scopes(granted: frozenset[str], required: tuple[str, ...] = REQUIRED_SCOPES) -> list:
    """The required scopes the coordinator unticked on the consent screen."""
    return [scope for scope in required if scope not in granted]


GOOGLE_UNAVAILABLE = (
    "Google did not answer while we were finishing the sign-in. Nothing was changed; "
    "please try again in a minute."
)


def _callback_error_message(error: str, purpose: str) -> str:
    if error == "access_denied" and purpose == PURPOSE_NEW_CALENDAR:
        return "You declined, so Coordinoter did not create its own calendar. Nothing changed."
    if error == "access_denied":
        return (
            "You declined access, so Google Calendar is not connected. "
            "You can try again whenever you are ready."
        )
    return f"Google stopped the sign-in ({error}). Please try again."


def _token_error_message(error: str | None) -> str:
    if error == "invalid_grant":
        return (
            "Google did not accept the sign-in: it had expired or was already used. "
            "Please sign in with Google again."
        )
    if error in ("invalid_client", "unauthorized_client", "redirect_uri_mismatch"):
        return (
            "Google rejected this server's Google client settings. Ask whoever runs "
            "Coordinoter to check GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and PUBLIC_BASE_URL."
        )
    return GOOGLE_UNAVAILABLE
