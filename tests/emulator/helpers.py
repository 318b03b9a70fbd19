"""Helpers for the emulator tests: OAuth flow with plain requests, Google clients, a webhook."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import secrets
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import googleapiclient
import requests
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build, build_from_document

CLIENT_ID = "test-client.apps.googleusercontent.com"
CLIENT_SECRET = "test-client-secret"
REDIRECT_URI = "http://127.0.0.1:5999/google/callback"
USER = "casey@example.com"
OTHER_USER = "olive@example.com"

P = "https://www.googleapis.com/auth/"
CALENDAR = P + "calendar"
EVENTS = P + "calendar.events"
READONLY = P + "calendar.readonly"
EVENTS_READONLY = P + "calendar.events.readonly"
CALENDARLIST_READONLY = P + "calendar.calendarlist.readonly"
APP_CREATED = P + "calendar.app.created"
EMAIL = P + "userinfo.email"
PROFILE = P + "userinfo.profile"

DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache/documents/calendar.v3.json"


class ConsentPage(HTMLParser):
    """What a browser would see on the consent page: form, account choices, scope boxes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.inputs: list[dict[str, str | None]] = []
        self.options: list[dict[str, str | None]] = []
        self.buttons: list[dict[str, str | None]] = []
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({k: v or "" for k, v in a.items()})
        elif tag == "input":
            self.inputs.append(a)
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select:
            self.options.append({**a, "select": self._select})
        elif tag == "button":
            self.buttons.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None

    def value(self, name: str) -> str | None:
        """The value of the first input with that name."""
        return next((i.get("value") for i in self.inputs if i.get("name") == name), None)

    @property
    def accounts(self) -> list[str]:
        """The account choices."""
        return [o["value"] or "" for o in self.options if o["select"] == "account"]

    @property
    def selected_account(self) -> str | None:
        """The preselected account, if any."""
        return next((o["value"] for o in self.options if "selected" in o), None)

    @property
    def checkboxes(self) -> dict[str, bool]:
        """Scope checkboxes: scope → checked."""
        return {
            i["value"] or "": "checked" in i
            for i in self.inputs
            if i.get("type") == "checkbox" and i.get("name") == "scope"
        }

    @property
    def fixed_scopes(self) -> list[str]:
        """Scopes sent as hidden inputs (identity scopes)."""
        return [
            i["value"] or ""
            for i in self.inputs
            if i.get("type") == "hidden" and i.get("name") == "scope"
        ]


def pkce_pair() -> tuple[str, str]:
    """A (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def consent_page(url: str, scopes: list[str], **params: Any) -> requests.Response:
    """GET the authorize endpoint."""
    query = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": " ".join(scopes),
        "state": "st-123",
        "access_type": "offline",
    }
    query.update({k: v for k, v in params.items() if v is not None})
    return requests.get(url + "/o/oauth2/v2/auth", params=query, timeout=10)


def decide(
    url: str,
    page: requests.Response,
    *,
    account: str = USER,
    untick: tuple[str, ...] = (),
    decision: str = "allow",
) -> dict[str, list[str]]:
    """Submit the consent form like a browser; returns the redirect's query parameters."""
    form = ConsentPage(page.text)
    ticked = [s for s, on in form.checkboxes.items() if on and s not in untick]
    data = {
        "request_id": form.value("request_id"),
        "account": account,
        "scope": form.fixed_scopes + ticked,
        "decision": decision,
    }
    resp = requests.post(
        url + form.forms[0]["action"], data=data, allow_redirects=False, timeout=10
    )
    assert resp.status_code == 302, resp.text
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return parse_qs(urlparse(location).query)


def authorize(url: str, scopes: list[str], **kw: Any) -> dict[str, list[str]]:
    """Consent page then allow; returns the redirect parameters (code, scope, state)."""
    decide_kw = {k: kw.pop(k) for k in ("account", "untick", "decision") if k in kw}
    page = consent_page(url, scopes, **kw)
    assert page.status_code == 200, page.text
    return decide(url, page, **decide_kw)


def exchange(url: str, code: str, *, basic: bool = False, **extra: Any) -> requests.Response:
    """POST grant_type=authorization_code."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    data.update(extra)
    if basic:
        return requests.post(url + "/token", data=data, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    data.update(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    return requests.post(url + "/token", data=data, timeout=10)


def get_tokens(url: str, scopes: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    """The whole web-server flow; the token endpoint's JSON."""
    params = authorize(url, scopes or ["openid", "email", "profile", CALENDAR], **kw)
    resp = exchange(url, params["code"][0])
    assert resp.status_code == 200, resp.text
    return resp.json()


def credentials(url: str, tokens: dict[str, Any]) -> Credentials:
    """google-auth credentials that refresh against the emulator."""
    return Credentials(
        tokens["access_token"],
        refresh_token=tokens.get("refresh_token"),
        token_uri=url + "/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )


def calendar_service(url: str, creds: Credentials) -> Any:
    """Google's own Calendar client pointed at the emulator."""
    return build(
        "calendar",
        "v3",
        credentials=creds,
        client_options={"api_endpoint": url + "/calendar/v3/"},
        static_discovery=True,
        cache_discovery=False,
    )


def batch_service(url: str, creds: Credentials) -> Any:
    """A Calendar client whose batch path also points at the emulator."""
    document = json.loads(DISCOVERY.read_text())
    document["rootUrl"] = url + "/"
    return build_from_document(document, credentials=creds)


def timed(start: str, end: str, tz: str = "Australia/Sydney", **fields: Any) -> dict[str, Any]:
    """An event body with local start/end times in a zone."""
    return {
        "start": {"dateTime": start, "timeZone": tz},
        "end": {"dateTime": end, "timeZone": tz},
        **fields,
    }


def error_reason(exc: Any) -> tuple[int, str, str]:
    """(status, reason, message) of a googleapiclient HttpError."""
    body = json.loads(exc.content)
    err = body["error"]
    return err["code"], err["errors"][0]["reason"], err["message"]


class Webhook:
    """A tiny HTTP server that records notifications and answers chosen statuses."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        self._cond = threading.Condition()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if hook.delay:
                    time.sleep(hook.delay)
                with hook._cond:
                    status = hook.statuses.pop(0) if hook.statuses else 200
                    hook.received.append(
                        {
                            "headers": dict(self.headers.items()),
                            "body": body,
                            "status": status,
                            "path": self.path,
                            "time": time.time(),
                        }
                    )
                    hook._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/google/notify"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until at least `count` requests arrived."""
        deadline = time.time() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.time()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def ok(self) -> list[dict[str, Any]]:
        """Requests answered with success."""
        with self._cond:
            return [r for r in self.received if r["status"] < 300]

    def states(self) -> list[tuple[str, int]]:
        """(resource state, message number) of successful deliveries, in arrival order."""
        return [
            (r["headers"]["X-Goog-Resource-State"], int(r["headers"]["X-Goog-Message-Number"]))
            for r in self.ok()
        ]

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()
