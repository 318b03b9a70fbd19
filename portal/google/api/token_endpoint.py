"""Google's OAuth token endpoint calls made outside a sign-in: refresh a token, revoke a grant."""

from __future__ import annotations

from typing import Any

import requests

from portal.google.api.errors import GoogleApiError

REFRESH_TIMEOUT = (5.0, 15.0)
REVOKE_TIMEOUT = 15


class TokenEndpointError(GoogleApiError):
    """Google's token endpoint failed; `retryable` says whether a later try may work."""


class InvalidGrant(Exception):
    """Google no longer accepts the refresh token: only a new sign-in helps."""


def request_refresh(
    token_uri: str, client_id: str, client_secret: str, refresh_token: str
) -> dict[str, Any]:
    """POST grant_type=refresh_token; Google's JSON answer, else InvalidGrant or an error."""
    try:
        response = requests.post(
            token_uri,
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": client_id,
                "client_secret": client_secret,
            },
            headers={"Accept": "application/json"},
            timeout=REFRESH_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise TokenEndpointError(503, "networkError", str(exc)) from exc
    body = _json_object(response)
    if response.ok and body.get("access_token"):
        return body
    error = str(body.get("error") or "")
    if error == "invalid_grant":
        raise InvalidGrant()
    status = response.status_code if response.status_code >= 400 else 502
    if error == "temporarily_unavailable":
        status = 503
    raise TokenEndpointError(
        status, error or "tokenEndpointError", body.get("error_description", "")
    )


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def revoke(revoke_uri: str, token: str) -> str | None:
    """Revoke a grant (either of its tokens); None when done, else what went wrong."""
    try:
        response = requests.post(
            revoke_uri,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=REVOKE_TIMEOUT,
        )
    except requests.RequestException:
        return "Google did not answer"
    return None if response.status_code == 200 else f"Google answered {response.status_code}"
