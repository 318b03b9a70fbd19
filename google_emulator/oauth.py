"""OAuth 2.0 and OpenID Connect endpoints at Google's paths."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from flask import Blueprint, Response, redirect, render_template, request

from . import scopes as sc
from .app import bearer_token, get_state, google_method
from .errors import OAuthError, json_response
from .oauth_store import ISSUER, ConsentError

bp = Blueprint("oauth", __name__)


def _error_page(err: ConsentError) -> tuple[str, int]:
    return render_template("oauth_error.html", error=err), err.code


@bp.route("/o/oauth2/v2/auth", methods=["GET"])
@bp.route("/o/oauth2/auth", methods=["GET"])
@google_method("oauth2.authorize")
def authorize() -> Any:
    """The consent screen (or Google's error page for a bad request)."""
    state = get_state()
    try:
        req = state.start_authorization(request.args.to_dict())
    except ConsentError as err:
        return _error_page(err)
    with state.lock:
        client = state.clients[req.client_id]
        users = state.users_list()
    optional = [s for s in req.scopes if s not in sc.IDENTITY]
    fixed = [s for s in req.scopes if s in sc.IDENTITY]
    return render_template(
        "consent.html",
        req=req,
        client=client,
        users=users,
        selected=req.login_hint,
        optional=optional,
        fixed=fixed,
        descriptions=sc.DESCRIPTIONS,
    )


@bp.route("/o/oauth2/v2/auth/decision", methods=["POST"])
@google_method("oauth2.consent")
def decision() -> Any:
    """Allow or deny: redirect back to the app with a code or access_denied."""
    state = get_state()
    form = request.form
    allow = form.get("decision") == "allow"
    try:
        target = state.decide(
            form.get("request_id", ""), form.get("account"), form.getlist("scope"), allow
        )
    except ConsentError as err:
        return _error_page(err)
    if allow:
        request.environ["gemu.user"] = form.get("account")
    return redirect(target, code=302)


def _client_credentials() -> tuple[str | None, str | None]:
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.username:
        # RFC 6749 form-encodes the Basic credentials; many clients do not. Accept both.
        return unquote(auth.username), unquote(auth.password or "")
    return request.form.get("client_id"), request.form.get("client_secret")


def _token_json(body: dict[str, Any]) -> Response:
    resp = json_response(body)
    resp.headers["Cache-Control"] = "no-cache, no-store, max-age=0, must-revalidate"
    resp.headers["Pragma"] = "no-cache"
    return resp


@bp.route("/token", methods=["POST"])
@bp.route("/o/oauth2/token", methods=["POST"])
@bp.route("/oauth2/v4/token", methods=["POST"])
@google_method("oauth2.token")
def token() -> Response:
    """The token endpoint: authorization_code and refresh_token grants."""
    state = get_state()
    client_id, secret = _client_credentials()
    grant_type = request.form.get("grant_type")
    if not grant_type:
        raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
    client = state.authenticate_client(client_id, secret)
    request.environ["gemu.client"] = client.client_id
    if grant_type == "authorization_code":
        body = state.exchange_code(
            client,
            request.form.get("code", ""),
            request.form.get("redirect_uri"),
            request.form.get("code_verifier"),
        )
    elif grant_type == "refresh_token":
        body = state.refresh(
            client, request.form.get("refresh_token", ""), request.form.get("scope")
        )
    else:
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    record = state.authenticate(body["access_token"])
    if record is not None:
        request.environ["gemu.user"] = record.email
    return _token_json(body)


@bp.route("/revoke", methods=["POST", "GET"])
@bp.route("/o/oauth2/revoke", methods=["POST", "GET"])
@google_method("oauth2.revoke")
def revoke() -> Response:
    """Revoke the grant behind an access or refresh token."""
    state = get_state()
    value = request.args.get("token") or request.form.get("token") or ""
    if not state.revoke_token(value):
        raise OAuthError(400, "invalid_token", "Token expired or revoked")
    return json_response({})


@bp.route("/v1/userinfo", methods=["GET", "POST"])
@bp.route("/oauth2/v3/userinfo", methods=["GET", "POST"])
@google_method("oauth2.userinfo")
def userinfo() -> Response:
    """OpenID userinfo, limited to the identity scopes granted."""
    state = get_state()
    record = state.authenticate(bearer_token() or request.args.get("access_token"))
    if record is None:
        raise OAuthError(
            401,
            "invalid_request",
            "Invalid Credentials",
            headers={
                "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                'error="invalid_token"'
            },
        )
    with state.lock:
        user = state.users[record.email]
    body: dict[str, Any] = {"sub": user.sub}
    if sc.USERINFO_PROFILE in record.scopes:
        body.update(
            name=user.name,
            given_name=user.given_name,
            family_name=user.family_name,
            picture=user.picture,
        )
    if sc.USERINFO_EMAIL in record.scopes:
        body.update(email=user.email, email_verified=True)
    return json_response(body)


@bp.route("/oauth2/v3/certs", methods=["GET"])
def certs_v3() -> Response:
    """The signing key as a JWK Set."""
    return json_response(get_state().signing.jwks())


@bp.route("/oauth2/v1/certs", methods=["GET"])
def certs_v1() -> Response:
    """The signing key as x509 certificates (what google-auth's id_token helpers read)."""
    return json_response(get_state().signing.x509_certs())


@bp.route("/.well-known/openid-configuration", methods=["GET"])
def discovery() -> Response:
    """OpenID discovery: every endpoint on this origin, issuer Google's."""
    origin = request.host_url.rstrip("/")
    return json_response(
        {
            "issuer": ISSUER,
            "authorization_endpoint": origin + "/o/oauth2/v2/auth",
            "device_authorization_endpoint": origin + "/device/code",
            "token_endpoint": origin + "/token",
            "userinfo_endpoint": origin + "/v1/userinfo",
            "revocation_endpoint": origin + "/revoke",
            "jwks_uri": origin + "/oauth2/v3/certs",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": [
                "aud",
                "email",
                "email_verified",
                "exp",
                "family_name",
                "given_name",
                "iat",
                "iss",
                "name",
                "picture",
                "sub",
            ],
            "code_challenge_methods_supported": ["plain", "S256"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
        }
    )
