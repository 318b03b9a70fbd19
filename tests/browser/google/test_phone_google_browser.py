"""The Google Calendar pages on a phone (390 × 844): the connected card, its dialogs (Change
calendar, Disconnect) and their own pages fit the screen, with their buttons in reach."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, wait_for
from tests.browser.test_phone_browser import assert_fits, on_a_phone

pytestmark = pytest.mark.browser


def test_the_connected_card_and_its_dialogs_fit_a_phone(
    live_portal, connected, coordinator, driver, app
):
    from flask import url_for
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows

    app.config["WTF_CSRF_ENABLED"] = True
    on_a_phone(driver)
    log_in(driver, live_portal, coordinator.email)
    with app.test_request_context():
        card, picker = url_for("integrations.index"), url_for("google.calendar_picker")
        disconnect = url_for("google.confirm_disconnect")
    for path in (card, picker, disconnect):
        driver.get(f"{live_portal}{path}")
        wait_for(driver, shows.presence_of_element_located((By.CSS_SELECTOR, "main")))
        assert not driver.title[:1].isdigit(), (path, driver.title)
        assert_fits(driver, path)

    driver.get(f"{live_portal}{card}")
    for opener in ("google-change-calendar", "google-disconnect"):
        wait_for(driver, shows.element_to_be_clickable((By.ID, opener))).click()
        dialog = wait_for(
            driver, shows.visibility_of_element_located((By.CSS_SELECTOR, "#modal .modal"))
        )
        assert_fits(driver, f"{opener} dialog")
        buttons = dialog.find_elements(By.CSS_SELECTOR, "button[type=submit]")
        assert buttons, opener
        driver.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight", dialog)
        bottom = driver.execute_script(
            "return [arguments[0].getBoundingClientRect().bottom, window.innerHeight]", buttons[-1]
        )
        assert bottom[0] <= bottom[1], opener
        driver.get(f"{live_portal}{card}")
