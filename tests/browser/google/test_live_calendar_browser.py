"""Real time in a real browser: a change made in Google shows in the open week by itself.

The whole chain runs for real: the emulator's notification reaches the portal's webhook on a
real socket, a `flask worker` subprocess pulls, and the page's poller notices within a second.
An edit form left open meanwhile keeps what the coordinator typed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.calendar.layout import monday_of
from portal.calendar.timeutil import to_local
from portal.extensions import db
from portal.models import Event, WatchChannel
from tests import factories
from tests.browser.conftest import log_in, screenshot
from tests.browser.conftest import wait_for as browser_wait
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import SOON, timed
from tests.support.processes import start_worker, stop, wait_for
from tests.support.worker import run_jobs

pytestmark = pytest.mark.browser


# A change must be on screen this soon after the worker has applied it (poller: every 1 s).
ON_SCREEN_WITHIN = 2.0


@pytest.fixture
def portal(live_portal: str) -> str:
    """The live portal, for Chromium and for Google's notifications."""
    return live_portal


@contextmanager
def worker_running(app) -> Iterator[None]:
    """A `flask worker` subprocess, as the Procfile runs it, for the length of a with block."""
    process = start_worker(app)
    try:
        yield
    finally:
        stop(process)


def ten_am_on_the_day_of(moment: datetime, zone: str) -> datetime:
    """10 am local on moment's local day, in UTC: the test's events share one day and week."""
    day = to_local(moment, zone).date()
    return datetime.combine(day, clock(10), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def grid_titles(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    # The titles alone: a short card starts with its time, and a Google one has its mark.
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".wk-event .wk-event-title")]


def title_in_portal(title: str):
    """A condition: the worker has applied a Google event with this title."""

    def applied() -> bool:
        db.session.expire_all()
        return db.session.scalar(select(Event.id).where(Event.title == title)) is not None

    return applied


def test_a_google_change_appears_in_the_open_week_and_the_open_form_keeps_its_text(
    portal, connected, coordinator, google, driver, app
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as shows

    # CSRF on from here, as in production (`connected` signed in with the test client).
    app.config["WTF_CSRF_ENABLED"] = True
    wait_for(lambda: _channel_confirmed(connected.id))
    morning = ten_am_on_the_day_of(SOON, coordinator.time_zone)
    factories.make_event(coordinator, "Home visit with Jordan", morning + timedelta(hours=3))
    db.session.commit()
    dentist = google.state.user_insert_event(
        GOOGLE_USER, {"summary": "Dentist", **timed(morning, 45)}
    )
    google.state.wait_notifications()
    run_jobs()  # in-process, before the subprocess worker starts: the page opens complete

    log_in(driver, portal, coordinator.email)
    week = monday_of(to_local(morning, coordinator.time_zone).date().isoformat(), morning.date())
    driver.get(f"{portal}/calendar?week={week.isoformat()}")
    browser_wait(driver, lambda d: {"Dentist", "Home visit with Jordan"} <= set(grid_titles(d)))

    # The coordinator opens the home visit and starts typing.
    visit = next(
        e
        for e in driver.find_elements(By.CSS_SELECTOR, ".wk-event")
        if e.text.startswith("Home visit")
    )
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", visit)
    visit.click()
    title = browser_wait(
        driver, shows.visibility_of_element_located((By.CSS_SELECTOR, "#modal input[name=title]"))
    )
    title.send_keys(Keys.END, " – bring the service agreement")
    driver.execute_script("window.sameDocument = true")  # gone if the page ever reloads

    # Meanwhile, in Google Calendar: the dentist moves, a physio session is added.
    with worker_running(app):
        google.state.user_patch_event(GOOGLE_USER, dentist["id"], {"summary": "Dentist (moved)"})
        google.state.user_insert_event(
            GOOGLE_USER, {"summary": "Physio", **timed(morning + timedelta(hours=1), 30)}
        )
        wait_for(title_in_portal("Physio"), timeout=20)
        wait_for(title_in_portal("Dentist (moved)"), timeout=20)
        pulled = time.monotonic()
        browser_wait(
            driver,
            lambda d: {"Dentist (moved)", "Physio"} <= set(grid_titles(d)),
            timeout=ON_SCREEN_WITHIN + 3,
        )
        on_screen = time.monotonic() - pulled

    assert on_screen <= ON_SCREEN_WITHIN, f"the change took {on_screen:.2f}s to show"
    assert "Dentist" not in grid_titles(driver)
    assert driver.execute_script("return window.sameDocument") is True
    # The form was never touched: same element, the typed text intact, still open.
    assert title.get_attribute("value") == "Home visit with Jordan – bring the service agreement"
    assert title.is_displayed()


def _channel_confirmed(connection_id: int) -> bool:
    """Google's `sync` message reached the live portal."""
    db.session.expire_all()
    stmt = select(WatchChannel.id).where(
        WatchChannel.connection_id == connection_id, WatchChannel.live_at.is_not(None)
    )
    return db.session.scalar(stmt) is not None


def test_check_my_connection_in_the_help_panel_shows_every_check_green(
    portal, connected, coordinator, google, driver, app
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows

    app.config["WTF_CSRF_ENABLED"] = True
    wait_for(lambda: _channel_confirmed(connected.id))
    google.state.user_insert_event(GOOGLE_USER, {"summary": "Dentist", **timed(SOON)})
    google.state.wait_notifications()  # its change notice arrived …
    run_jobs()  # … and the pull it asked for brought the dentist in

    log_in(driver, portal, coordinator.email)
    driver.find_element(By.CSS_SELECTOR, ".help-button").click()
    button = browser_wait(driver, shows.element_to_be_clickable((By.ID, "check-connection")))
    button.click()
    summary = browser_wait(driver, shows.visibility_of_element_located((By.ID, "check-summary")))

    assert summary.text == "Everything works: changes flow both ways."
    checks = driver.find_elements(By.CSS_SELECTOR, "#connection-checks .check")
    assert len(checks) == 7 and all(c.get_attribute("data-ok") == "yes" for c in checks)
    panel = driver.find_element(By.ID, "help-panel")
    driver.execute_script("arguments[0].scrollTop = 0", panel)
    screenshot(driver, "help-check")
