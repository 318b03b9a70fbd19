"""`make run` as a new user meets it: any ports, either host name, sign up, connect Google.

Runs scripts/run.sh (what `make run` runs after installing) on free ports with its own SQLite
file, its own Redis server and its own emulator state, reads its terminal, and walks the
sign-up and the Google sign-in over HTTP the way a browser would.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.google.conftest import ConsentForm
from tests.support.processes import free_port
from tests.support.redis_server import PrivateRedis

ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN = 90.0


class Run:
    """One `scripts/run.sh` in a process group of its own, with its terminal kept."""

    def __init__(self, tmp_path: Path, redis_url: str) -> None:
        self.port, self.emulator_port = free_port(), free_port()
        self.mail_port, self.mail_web_port = free_port(), free_port()
        self.log = tmp_path / "run.log"
        env = {
            **os.environ,
            "PORT": str(self.port),
            "EMULATOR_PORT": str(self.emulator_port),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            "REDIS_URL": redis_url,
            "EMULATOR_STATE_FILE": str(tmp_path / "emulator.json"),
            "MAIL_PORT": str(self.mail_port),
            "MAIL_WEB_PORT": str(self.mail_web_port),
            "MAIL_STORE_FILE": str(tmp_path / "mail.json"),
        }
        for name in (
            "GOOGLE_CLIENT_ID",
            "GOOGLE_EMULATOR_URL",
            "PUBLIC_BASE_URL",
            "VERBOSE",
            "SMTP_URL",
            "MAIL_PAGE_URL",
        ):
            env.pop(name, None)
        self.process = subprocess.Popen(
            ["scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def terminal(self) -> str:
        """What the user has seen so far."""
        return self.log.read_text()

    def wait_ready(self) -> str:
        """The terminal once the ready line is in it."""
        deadline = time.monotonic() + READY_WITHIN
        while "Coordinoter is ready" not in self.terminal():
            assert self.process.poll() is None, self.terminal()
            assert time.monotonic() < deadline, self.terminal()
            time.sleep(0.2)
        return self.terminal()

    def stop(self) -> None:
        """Ctrl-C, as the user would: every process of the run ends."""
        if self.process.poll() is not None:
            return  # it stopped by itself (the test says why)
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def run(tmp_path: Path, db_backend: str) -> Iterator[Run]:
    """`make run` on free ports (it always uses SQLite, so the PostgreSQL pass runs it)."""
    if db_backend != "postgresql":
        pytest.skip("make run uses SQLite whatever the suite's backend; once is enough")
    with PrivateRedis(tmp_path) as redis:
        redis.start()
        started = Run(tmp_path, redis.url)
        yield started
        started.stop()


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _sign_up(browser: requests.Session, start: str) -> str:
    page = browser.get(start + "/signup", timeout=10)
    form = {
        "csrf_token": _csrf(page.text),
        "business_name": "Harbour Coordination",
        "name": "Casey Coordinator",
        "email": "casey@example.org",
        "password": "a long passphrase here",
        "confirm": "a long passphrase here",
        "time_zone": "Australia/Brisbane",
    }
    signed_up = browser.post(page.url, data=form, timeout=10)
    assert signed_up.status_code == 200 and "Log out" in signed_up.text, signed_up.text
    return page.url


def _connect_google(browser: requests.Session, portal: str) -> None:
    card_page = browser.get(portal + "/portal/integrations", timeout=10)
    sent = browser.post(
        portal + "/google/connect",
        data={"csrf_token": _csrf(card_page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert sent.status_code in (302, 303), sent.text
    authorize = sent.headers["Location"]
    consent = ConsentForm()
    consent.feed(requests.get(authorize, timeout=10).text)
    assert consent.action, "no consent form: the demo client refused the redirect URI"
    data = [("request_id", consent.fields["request_id"]), ("account", consent.accounts[0])]
    data += [("scope", scope) for scope in consent.scopes] + [("decision", "allow")]
    back = requests.post(urljoin(authorize, consent.action), data=data, allow_redirects=False)
    assert back.status_code == 302
    returned = browser.get(back.headers["Location"], timeout=10)
    assert returned.status_code == 200 and "Please log in" not in returned.text


def _card_state(browser: requests.Session, portal: str) -> str:
    card = browser.get(portal + "/portal/integrations/google/card", timeout=10).text
    return re.search(r'data-state="([a-z_]+)"', card).group(1)


def test_a_new_user_connects_google_on_other_ports_from_127_0_0_1(run: Run):
    terminal = run.wait_ready()
    portal = f"http://localhost:{run.port}"
    assert f"Coordinoter is ready: {portal}/" in terminal
    assert f"http://127.0.0.1:{run.emulator_port}/" in terminal

    browser = requests.Session()
    # The user types the address the emulator's own pages use; the portal moves them to
    # PUBLIC_BASE_URL's host, where Google will send them back.
    form_url = _sign_up(browser, f"http://127.0.0.1:{run.port}")
    assert urlsplit(form_url).netloc == f"localhost:{run.port}"
    _connect_google(browser, portal)
    deadline = time.monotonic() + 30
    while (state := _card_state(browser, portal)) != "connected":
        assert time.monotonic() < deadline, f"card still {state}\n{run.terminal()}"
        time.sleep(0.5)


def test_the_terminal_stays_quiet_while_a_calendar_page_polls(run: Run):
    run.wait_ready()
    browser = requests.Session()
    _sign_up(browser, f"http://localhost:{run.port}")
    before = run.terminal()
    for _ in range(20):
        browser.get(f"http://localhost:{run.port}/calendar/fingerprint", timeout=10)
    time.sleep(1)
    added = run.terminal()[len(before) :]
    assert "/calendar/fingerprint" not in added
    # One ready line, printed once, after everything answered.
    assert run.terminal().count("Coordinoter is ready") == 1
    assert "rq.worker" not in run.terminal() and "Job OK" not in run.terminal()


def test_a_forgotten_password_mail_arrives_on_the_local_mail_page(run: Run):
    terminal = run.wait_ready()
    mail_page = f"http://127.0.0.1:{run.mail_web_port}"
    assert f"{mail_page}/" in terminal
    portal = f"http://localhost:{run.port}"
    _sign_up(requests.Session(), portal)

    browser = requests.Session()
    page = browser.get(portal + "/forgot-password", timeout=10)
    sent = browser.post(
        page.url, data={"csrf_token": _csrf(page.text), "email": "casey@example.org"}, timeout=10
    )
    assert sent.status_code == 200, sent.text
    deadline = time.monotonic() + 30
    while "Choose a new Coordinoter password" not in (listing := requests.get(mail_page).text):
        assert time.monotonic() < deadline, run.terminal()
        time.sleep(0.5)
    mail = re.search(r'href="(/mail/\d+)"', listing).group(1)
    link = re.search(r'<a href="([^"]+/reset-password/[^"]+)"', requests.get(mail_page + mail).text)
    assert link, requests.get(mail_page + mail).text
    assert 'name="password"' in browser.get(link.group(1), timeout=10).text
