"""Google-side fixtures: the real emulator over HTTP, and the portal configured to use it.

`google` resets the emulator before each test and registers the test OAuth client and a
Google account. `config_overrides` points every GOOGLE_* endpoint at the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import select

from google_emulator.server import EmulatorServer
from portal.config import google_endpoints
from portal.extensions import db
from portal.models import GoogleConnection

CLIENT_ID = "test-client.apps.googleusercontent.com"
CLIENT_SECRET = "test-secret"
PUBLIC_BASE_URL = "http://localhost"
GOOGLE_USER = "casey.coordinator@gmail.com"
OTHER_GOOGLE_USER = "casey.personal@gmail.com"


@pytest.fixture(scope="session")
def google_emulator_server() -> Iterator[EmulatorServer]:
    """One live emulator per test process (each xdist worker has its own port)."""
    server = EmulatorServer(port=0).start()
    yield server
    server.stop()


@pytest.fixture
def public_base_url() -> str:
    """The portal's public origin; the browser test overrides it with the live server's."""
    return PUBLIC_BASE_URL


def emulator_config(emulator_url: str, public_base_url: str) -> dict:
    """Settings that make the emulator Google, with the test OAuth client."""
    return {
        "GOOGLE_EMULATOR_URL": emulator_url,
        **google_endpoints({"GOOGLE_EMULATOR_URL": emulator_url}),
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "PUBLIC_BASE_URL": public_base_url,
    }


@pytest.fixture
def config_overrides(google_emulator_server: EmulatorServer, public_base_url: str) -> dict:
    """The portal talks to the emulator, with the test OAuth client."""
    return {
        **emulator_config(google_emulator_server.url, public_base_url),
        # Tests want Google's answer at once, not after the client's own backoff.
        "GOOGLE_HTTP_RETRIES": 0,
        "GOOGLE_JOB_RETRY_INTERVALS": "0,0",
    }


class ConsentForm(HTMLParser):
    """The emulator's consent form: its action, hidden fields, scopes and accounts."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.scopes: list[str] = []
        self.accounts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = dict(attrs)
        if tag == "form" and attr.get("id") == "consent":
            self.action, self._inside = attr.get("action"), True
        elif self._inside and tag == "input" and attr.get("name") == "scope":
            self.scopes.append(attr.get("value", ""))
        elif self._inside and tag == "input" and attr.get("name"):
            self.fields[attr["name"]] = attr.get("value", "")
        elif self._inside and tag == "option":
            self.accounts.append(attr.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


class GoogleSide:
    """The emulator as a test drives it: state controls plus the consent page over HTTP."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.state = server.state
        self.url = server.url

    def consent_form(self, authorize_url: str) -> ConsentForm:
        """Open Google's consent page and read its form."""
        page = requests.get(authorize_url, timeout=10)
        assert page.status_code == 200, page.text
        form = ConsentForm()
        form.feed(page.text)
        assert form.action, "no consent form on the page"
        return form

    def decide(
        self,
        authorize_url: str,
        decision: str = "allow",
        account: str = GOOGLE_USER,
        untick: tuple[str, ...] = (),
    ) -> str:
        """Answer the consent page as a person would; returns where Google redirects to."""
        form = self.consent_form(authorize_url)
        data = [("request_id", form.fields["request_id"]), ("account", account)]
        data += [("scope", s) for s in form.scopes if s not in untick]
        data.append(("decision", decision))
        answer = requests.post(
            urljoin(authorize_url, form.action), data=data, allow_redirects=False, timeout=10
        )
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def count(self, method: str) -> int:
        """How many calls of a Google method id the emulator has answered."""
        return self.state.request_counts().get(method, 0)

    def calls(self, method: str) -> list[dict]:
        """The request-log entries of one method id."""
        return [entry for entry in self.state.request_log() if entry.get("method") == method]


@pytest.fixture
def google(google_emulator_server: EmulatorServer, public_base_url: str) -> Iterator[GoogleSide]:
    """A clean emulator with the test client and two Google accounts."""
    state = google_emulator_server.state
    state.reset()
    state.add_client(CLIENT_ID, CLIENT_SECRET, [public_base_url + "/google/callback"])
    state.add_user(GOOGLE_USER, "Casey Coordinator")
    state.add_user(OTHER_GOOGLE_USER, "Casey Personal")
    yield GoogleSide(google_emulator_server)
    state.reset()


class ConnectFlow:
    """Sign in with Google from the card, through the emulator's consent page, and back."""

    def __init__(
        self, client: FlaskClient, google: GoogleSide, base_url: str = PUBLIC_BASE_URL
    ) -> None:
        self.client = client
        self.google = google
        self.base_url = base_url

    def start(self, path: str = "/google/connect", data: dict | None = None) -> str:
        """Press the button; returns Google's authorize URL the portal redirected to."""
        response = self.client.post(path, data=data or {})
        assert response.status_code == 302, response.text
        location = response.headers["Location"]
        assert location.startswith(self.google.url + "/o/oauth2/v2/auth?"), location
        return location

    def callback(self, location: str):
        """Follow Google's redirect back to the portal's callback."""
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.base_url + "/google/callback"
        return self.client.get(f"{parts.path}?{parts.query}")

    def run(self, decision: str = "allow", account: str = GOOGLE_USER, untick=(), **start):
        """The whole round trip; returns the portal's answer to the callback."""
        location = self.google.decide(self.start(**start), decision, account, tuple(untick))
        return self.callback(location)

    def connect(self, account: str = GOOGLE_USER) -> GoogleConnection:
        """A round trip that must succeed; returns the connection, importing."""
        response = self.run(account=account)
        assert response.status_code == 302, response.text
        db.session.expire_all()
        connection = db.session.scalars(select(GoogleConnection)).one()
        assert connection.state == "importing", connection.last_error
        assert connection.refresh_token_enc
        return connection


@pytest.fixture
def connect_flow(client: FlaskClient, google: GoogleSide, public_base_url: str) -> ConnectFlow:
    """The sign-in round trip for the logged-in coordinator."""
    return ConnectFlow(client, google, public_base_url)


@pytest.fixture
def connected(coordinator, connect_flow, google):
    """The logged-in coordinator, connected to Google and past the initial import."""
    from portal.extensions import db
    from portal.models import GoogleConnection
    from tests.support.worker import run_jobs

    response = connect_flow.run()
    assert response.status_code in (302, 200), response.text
    run_jobs()
    connection = db.session.scalar(
        sa.select(GoogleConnection).where(GoogleConnection.user_id == coordinator.id)
    )
    assert connection.state == "connected", connection.last_error
    return connection
