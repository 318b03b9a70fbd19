"""Browser fixtures: Debian's headless Chromium driving the portal served on a real socket.

Reusable by any browser test: `live_server` (base URL), `driver` (a fresh Chromium profile per
test) and `screenshot(driver, name)` for docs/screenshots/. Nothing is downloaded at run
time except, once and only as root, Debian's own chromium packages.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.support.real_clock import without_faketime

ROOT = Path(__file__).resolve().parents[2]
# `make test-dates` sends them elsewhere: docs/ must not show a moved clock's dates.
SCREENSHOTS = Path(os.environ.get("TEST_SCREENSHOTS_DIR") or ROOT / "docs" / "screenshots")
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


def ensure_chromium() -> None:
    """Install Debian's chromium and chromium-driver if missing (root only), else skip."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    if os.geteuid() != 0:
        pytest.skip(
            "Chromium is missing and installing it needs root: "
            "apt-get install chromium chromium-driver"
        )
    # Both xdist workers may get here at once on a fresh machine: one installs, the other
    # waits on this lock and then finds Chromium there (dpkg's own lock would fail it).
    with open("/tmp/coordinoter-chromium-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if CHROMIUM.exists() and CHROMEDRIVER.exists():
            return
        subprocess.run(
            "apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=600 "
            "chromium chromium-driver",
            shell=True,
            check=True,
            timeout=1800,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )


@pytest.fixture
def config_overrides() -> dict:
    """CSRF on, as in production: htmx must send the token header that base.html sets."""
    return {"WTF_CSRF_ENABLED": True}


class BaseURL(str):
    """The live server's base URL; pytest-flask's autouse fixtures read `.app` from it."""

    app: Flask


@pytest.fixture
def live_server(app: Flask) -> Iterator[BaseURL]:
    """The test app served by werkzeug on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    url = BaseURL(f"http://127.0.0.1:{server.server_port}")
    url.app = app
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Headless Chromium with a fresh profile, driven through Debian's chromedriver."""
    ensure_chromium()
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a dev dependency")
    from selenium.webdriver.chrome.service import Service

    # Both paths are given, so Selenium Manager has nothing to look up; offline makes sure.
    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    profile = tmp_path / "chromium-profile"
    options.add_argument(f"--user-data-dir={profile}")
    # Chromium cannot run under `make test-dates`' libfaketime; no page script reads the date,
    # and the portal sets only session cookies, which carry no expiry the clocks could dispute.
    service = Service(str(CHROMEDRIVER), env=without_faketime(os.environ))
    browser = webdriver.Chrome(service=service, options=options)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, condition, timeout: float = 15):
    """Wait until condition(driver) is truthy; returns its value."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # htmx may swap a region between finding an element and reading it: look again.
    stale = (StaleElementReferenceException,)
    return WebDriverWait(driver, timeout, ignored_exceptions=stale).until(condition)


def log_in(driver, portal: str, email: str) -> None:
    """Through the real login form (the factories' password); lands on the calendar."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows

    from tests import factories

    driver.get(f"{portal}/login")
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(factories.PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(driver, shows.presence_of_element_located((By.ID, "week")))


def screenshot(driver, name: str) -> Path:
    """Save the browser's viewport as docs/screenshots/<name>.png; returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
