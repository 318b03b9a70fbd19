"""OAuth rules: authorization requests, consent, codes, grants and tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from typing import Any
from urllib.parse import urlencode

from . import ids
from . import scopes as sc
from .errors import OAuthError
from .model import AccessToken, AuthCode, AuthRequest, Client, Grant, RefreshToken, User
from .signing import SigningKey

ISSUER = "https://accounts.google.com"


class ConsentError(Exception):
    """An authorization request Google refuses with an error page (never a redirect)."""

    def __init__(self, code: int, error: str, description: str) -> None:
        self.code = code
        self.error = error
        self.description = description
        super().__init__(f"{code} {error}: {description}")


def _append_query(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


class OAuthStore:
    """The OAuth half of the emulator state (mixed into EmulatorState)."""

    lock: threading.RLock
    users: dict[str, User]
    clients: dict[str, Client]
    grants: dict[tuple[str, str], Grant]
    access_tokens: dict[str, AccessToken]
    refresh_tokens: dict[str, RefreshToken]
    auth_requests: dict[str, AuthRequest]
    auth_codes: dict[str, AuthCode]
    signing: SigningKey
    token_lifetime: int
    code_lifetime: int

    def _touch(self) -> None:  # provided by EmulatorState
        raise NotImplementedError

    def start_authorization(self, args: dict[str, str]) -> AuthRequest:
        """Validate an authorize request and keep it for the consent page."""
        client_id = args.get("client_id") or ""
        with self.lock:
            client = self.clients.get(client_id)
            if client is None:
                raise ConsentError(401, "invalid_client", "The OAuth client was not found.")
            redirect_uri = args.get("redirect_uri") or ""
            if redirect_uri not in client.redirect_uris:
                raise ConsentError(
                    400,
                    "redirect_uri_mismatch",
                    "You can't sign in to this app because it doesn't comply with Google's "
                    f"OAuth 2.0 policy. Register the redirect URI {redirect_uri!r}.",
                )
            if args.get("response_type") != "code":
                raise ConsentError(
                    400, "unsupported_response_type", "Only response_type=code is supported."
                )
            requested = sc.parse(args.get("scope") or "")
            if not requested:
                raise ConsentError(400, "invalid_request", "Missing required parameter: scope")
            bad = sc.unknown(requested)
            if bad:
                raise ConsentError(
                    400, "invalid_scope", "Some requested scopes were invalid: " + ", ".join(bad)
                )
            method = args.get("code_challenge_method") or None
            challenge = args.get("code_challenge") or None
            if challenge and (method or "plain") not in ("S256", "plain"):
                raise ConsentError(400, "invalid_request", "Invalid code_challenge_method")
            if method and not challenge:
                raise ConsentError(400, "invalid_request", "Missing code_challenge")
            access_type = args.get("access_type") or "online"
            if access_type not in ("online", "offline"):
                raise ConsentError(400, "invalid_request", f"Invalid access_type: {access_type}")
            request_id = ids.token("", 24)
            req = AuthRequest(
                id=request_id,
                client_id=client_id,
                redirect_uri=redirect_uri,
                scopes=requested,
                state=args.get("state"),
                access_type=access_type,
                prompt=args.get("prompt") or "",
                include_granted_scopes=(args.get("include_granted_scopes") or "").lower() == "true",
                code_challenge=challenge,
                code_challenge_method=(method or "plain") if challenge else None,
                nonce=args.get("nonce"),
                login_hint=args.get("login_hint"),
                created=time.time(),
            )
            self.auth_requests[request_id] = req
            cutoff = time.time() - 3600
            for key in [k for k, r in self.auth_requests.items() if r.created < cutoff]:
                del self.auth_requests[key]
            return req

    def auth_request(self, request_id: str) -> AuthRequest | None:
        """A pending authorization request."""
        with self.lock:
            return self.auth_requests.get(request_id)

    def decide(self, request_id: str, email: str | None, ticked: list[str], allow: bool) -> str:
        """The consent decision; returns the URL Google redirects the browser to."""
        with self.lock:
            req = self.auth_requests.pop(request_id, None)
            if req is None:
                raise ConsentError(400, "invalid_request", "This authorization request expired.")
            if not allow:
                params = {"error": "access_denied"}
                if req.state is not None:
                    params["state"] = req.state
                return _append_query(req.redirect_uri, params)
            if not email or email not in self.users:
                raise ConsentError(400, "invalid_request", "Choose an account.")
            chosen = set(sc.parse(" ".join(ticked)))
            granted = [s for s in req.scopes if s in chosen or s in sc.IDENTITY]
            key = (email, req.client_id)
            grant = self.grants.get(key)
            previous = list(grant.scopes) if grant else []
            token_scopes = list(granted)
            if req.include_granted_scopes:
                token_scopes += [s for s in previous if s not in token_scopes]
            if grant is None:
                grant = Grant(email, req.client_id, [], time.time())
                self.grants[key] = grant
            grant.scopes += [s for s in granted if s not in grant.scopes]
            code = AuthCode(
                code="4/0" + ids.token("", 40),
                client_id=req.client_id,
                email=email,
                redirect_uri=req.redirect_uri,
                scopes=token_scopes,
                code_challenge=req.code_challenge,
                code_challenge_method=req.code_challenge_method,
                nonce=req.nonce,
                offline=req.access_type == "offline",
                force_refresh_token="consent" in req.prompt.split(),
                expires_at=time.time() + self.code_lifetime,
            )
            self.auth_codes[code.code] = code
            self._touch()
            params = {
                "code": code.code,
                "scope": sc.redirect_form(token_scopes),
                "authuser": "0",
                "prompt": "consent",
            }
            if req.state is not None:
                params = {"state": req.state, **params}
            return _append_query(req.redirect_uri, params)

    def authenticate_client(self, client_id: str | None, secret: str | None) -> Client:
        """The client for these credentials, or 401 invalid_client."""
        with self.lock:
            client = self.clients.get(client_id or "")
            if client is None or not hmac.compare_digest(
                client.client_secret.encode(), (secret or "").encode()
            ):
                raise OAuthError(401, "invalid_client", "Unauthorized")
            return client

    def exchange_code(
        self, client: Client, code: str, redirect_uri: str | None, verifier: str | None
    ) -> dict[str, Any]:
        """grant_type=authorization_code."""
        with self.lock:
            record = self.auth_codes.get(code or "")
            if (
                record is None
                or record.used
                or record.expires_at < time.time()
                or record.client_id != client.client_id
            ):
                raise OAuthError(400, "invalid_grant", "Bad Request")
            if redirect_uri != record.redirect_uri:
                raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
            if record.code_challenge:
                if not verifier:
                    raise OAuthError(400, "invalid_grant", "Missing code verifier.")
                if record.code_challenge_method == "S256":
                    digest = hashlib.sha256(verifier.encode()).digest()
                    computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
                else:
                    computed = verifier
                if not hmac.compare_digest(computed, record.code_challenge):
                    raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
            record.used = True
            return self._issue(
                record.email,
                client.client_id,
                record.scopes,
                record.offline,
                record.force_refresh_token,
                record.nonce,
            )

    def _issue(
        self,
        email: str,
        client_id: str,
        scopes: list[str],
        offline: bool,
        force_refresh_token: bool,
        nonce: str | None,
    ) -> dict[str, Any]:
        access = AccessToken(
            token="ya29." + ids.token("", 96),
            email=email,
            client_id=client_id,
            scopes=list(scopes),
            expires_at=time.time() + self.token_lifetime,
        )
        self.access_tokens[access.token] = access
        body: dict[str, Any] = {
            "access_token": access.token,
            "expires_in": int(self.token_lifetime),
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }
        if offline:
            live = [
                r
                for r in self.refresh_tokens.values()
                if r.email == email and r.client_id == client_id and not r.revoked
            ]
            if live and not force_refresh_token:
                # Google hands out a refresh token only on first consent (or prompt=consent);
                # the one the app already holds now covers the newly granted scopes too.
                for r in live:
                    r.scopes += [s for s in scopes if s not in r.scopes]
            else:
                refresh = RefreshToken("1//0" + ids.token("", 72), email, client_id, list(scopes))
                self.refresh_tokens[refresh.token] = refresh
                body["refresh_token"] = refresh.token
        if sc.OPENID in scopes:
            body["id_token"] = self.id_token(email, client_id, scopes, nonce)
        self._purge_tokens()
        self._touch()
        return body

    def id_token(self, email: str, client_id: str, scopes: list[str], nonce: str | None) -> str:
        """A signed id_token for that user and client."""
        user = self.users[email]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "azp": client_id,
            "aud": client_id,
            "sub": user.sub,
            "iat": now,
            "exp": now + 3600,
        }
        if sc.USERINFO_EMAIL in scopes:
            claims["email"] = user.email
            claims["email_verified"] = True
        if sc.USERINFO_PROFILE in scopes:
            claims.update(
                name=user.name,
                picture=user.picture,
                given_name=user.given_name,
                family_name=user.family_name,
            )
        if nonce:
            claims["nonce"] = nonce
        return self.signing.sign_jwt(claims)

    def refresh(self, client: Client, token: str, scope: str | None) -> dict[str, Any]:
        """grant_type=refresh_token; never returns a new refresh token."""
        with self.lock:
            record = self.refresh_tokens.get(token or "")
            if record is None or record.revoked or record.email not in self.users:
                raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
            if record.client_id != client.client_id:
                raise OAuthError(400, "unauthorized_client", "Unauthorized")
            scopes = list(record.scopes)
            if scope:
                asked = sc.parse(scope)
                if any(s not in scopes for s in asked):
                    raise OAuthError(400, "invalid_scope", "Bad Request")
                scopes = asked
            return self._issue(record.email, client.client_id, scopes, False, False, None)

    def authenticate(self, token: str | None) -> AccessToken | None:
        """The live access token record for a bearer token, if valid."""
        if not token:
            return None
        with self.lock:
            record = self.access_tokens.get(token)
            if record is None or record.expires_at <= time.time():
                return None
            if (record.email, record.client_id) not in self.grants:
                return None
            return record

    def revoke_token(self, token: str) -> bool:
        """Revoke the grant behind an access or refresh token; False when unknown."""
        with self.lock:
            record: AccessToken | RefreshToken | None = self.access_tokens.get(token)
            if record is None:
                record = self.refresh_tokens.get(token)
                if record is not None and record.revoked:
                    return False
            elif record.expires_at <= time.time():
                return False
            if record is None:
                return False
            self.revoke_grants(record.email, record.client_id)
            return True

    def revoke_grants(self, email: str, client_id: str | None = None) -> int:
        """Remove a user's grants (to one client or all) and every token they issued."""
        with self.lock:
            keys = [k for k in self.grants if k[0] == email and client_id in (None, k[1])]
            for key in keys:
                del self.grants[key]
            for r in self.refresh_tokens.values():
                if r.email == email and client_id in (None, r.client_id):
                    r.revoked = True
            for t in [
                t
                for t, a in self.access_tokens.items()
                if a.email == email and client_id in (None, a.client_id)
            ]:
                del self.access_tokens[t]
            self._touch()
            return len(keys)

    def expire_access_tokens(self, email: str | None = None) -> int:
        """Make access tokens expire now (of one user or everyone); returns how many."""
        with self.lock:
            count = 0
            for a in self.access_tokens.values():
                if email in (None, a.email) and a.expires_at > time.time():
                    a.expires_at = time.time() - 1
                    count += 1
            self._touch()
            return count

    def grants_of(self, email: str) -> list[dict[str, Any]]:
        """The apps a user has connected (for the UI's Connected apps)."""
        with self.lock:
            out = []
            for (user, client_id), grant in self.grants.items():
                if user == email:
                    client = self.clients.get(client_id)
                    out.append(
                        {
                            "client_id": client_id,
                            "name": (client.name if client else "") or client_id,
                            "scopes": list(grant.scopes),
                            "created": grant.created,
                        }
                    )
            return out

    def _purge_tokens(self) -> None:
        cutoff = time.time() - 3600
        for t in [t for t, a in self.access_tokens.items() if a.expires_at < cutoff]:
            del self.access_tokens[t]
        for c in [c for c, r in self.auth_codes.items() if r.expires_at < cutoff]:
            del self.auth_codes[c]
