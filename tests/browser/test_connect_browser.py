"""A coordinator connects Google Calendar in a real browser, through the emulator's consent page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from google_emulator.server import EmulatorServer
from portal.config import google_endpoints
from portal.extensions import db
from tests import factories
from tests.browser.conftest import log_in, screenshot, wait_for

pytestmark = pytest.mark.browser

CLIENT_ID = "test-client.apps.googleusercontent.com"
CLIENT_SECRET = "test-secret"
GOOGLE_USER = "casey.coordinator@gmail.com"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    """The Google emulator on a real port, as the browser reaches Google."""
    server = EmulatorServer(port=0).start()
    yield server
    server.stop()


@pytest.fixture
def config_overrides(emulator: EmulatorServer) -> dict:
    """CSRF on, as in production, and every Google endpoint on the emulator."""
    return {
        "WTF_CSRF_ENABLED": True,
        "GOOGLE_EMULATOR_URL": emulator.url,
        **google_endpoints({"GOOGLE_EMULATOR_URL": emulator.url}),
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "GOOGLE_HTTP_RETRIES": 0,
    }


@pytest.fixture
def portal(app: Flask, live_server, emulator: EmulatorServer) -> str:
    """The live portal, known to Google under its own callback URL."""
    # Google sends the browser back to PUBLIC_BASE_URL, so that must be the live server.
    app.config["PUBLIC_BASE_URL"] = str(live_server)
    emulator.state.reset()
    emulator.state.add_client(CLIENT_ID, CLIENT_SECRET, [f"{live_server}/google/callback"])
    emulator.state.add_user(GOOGLE_USER, "Casey Coordinator")
    emulator.state.user_insert_event(
        GOOGLE_USER,
        {
            "summary": "Dentist",
            "start": {"dateTime": "2026-11-26T09:00:00+11:00", "timeZone": "Australia/Sydney"},
            "end": {"dateTime": "2026-11-26T10:00:00+11:00", "timeZone": "Australia/Sydney"},
        },
    )
    return str(live_server)


def card_state(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, "google-card").get_attribute("data-state")


def test_sign_in_with_google_from_the_card_to_connected(driver, portal, emulator):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import Select

    from tests.support.worker import run_jobs

    user = factories.make_user(email="casey@example.com")
    db.session.commit()

    log_in(driver, portal, user.email)

    # Business Portal → Manage Integrations → the Google Calendar card.
    driver.find_element(By.CSS_SELECTOR, "details.menu summary").click()
    driver.find_element(By.LINK_TEXT, "Manage Integrations").click()
    wait_for(driver, shows.presence_of_element_located((By.ID, "google-card")))
    assert card_state(driver) == "not_connected"
    screenshot(driver, "card-not-connected")
    driver.find_element(By.ID, "google-sign-in").click()

    # Google's consent page (the emulator's), on another origin.
    wait_for(driver, shows.presence_of_element_located((By.ID, "consent")))
    assert driver.current_url.startswith(emulator.url + "/o/oauth2/v2/auth?")
    assert "View and edit events on all your calendars" in driver.page_source
    Select(driver.find_element(By.NAME, "account")).select_by_value(GOOGLE_USER)
    screenshot(driver, "google-consent")
    driver.find_element(By.ID, "allow").click()

    # Back on the card: importing, polling itself.
    wait_for(driver, lambda d: d.current_url == f"{portal}/portal/integrations")
    assert card_state(driver) == "importing"
    assert driver.find_element(By.ID, "google-account").text == GOOGLE_USER

    # The worker imports the calendar; the card notices on its own.
    run_jobs()
    wait_for(driver, lambda d: card_state(d) == "connected")
    card = driver.find_element(By.ID, "google-card")
    assert driver.find_element(By.ID, "google-status").text == "Connected"
    assert GOOGLE_USER in card.text
    assert card.get_attribute("hx-trigger") is None
    screenshot(driver, "card-connected")

    # Google stops accepting our access: the card and every page say so, with Reconnect.
    from portal.google.worker.enqueue import enqueue_pull
    from portal.models import GoogleConnection

    emulator.state.revoke_grants(GOOGLE_USER)
    emulator.state.expire_access_tokens()
    enqueue_pull(db.session.scalar(db.select(GoogleConnection.id)))
    run_jobs()
    driver.refresh()
    wait_for(driver, lambda d: card_state(d) == "needs_reconnect")
    assert "Reconnect" in driver.page_source
    screenshot(driver, "card-needs-reconnect")
