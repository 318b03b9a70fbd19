"""In a real browser: a weekly series is created from the modal, and one occurrence deleted."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests import factories
from tests.browser.conftest import config_overrides, driver, live_server, log_in, wait_for  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_weekly_check_in_is_booked_and_one_occurrence_cancelled(driver, live_server):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import Select

    user = factories.make_user(time_zone="Australia/Sydney")
    db.session.commit()
    log_in(driver, live_server, user.email)
    driver.get(f"{live_server}/calendar?week=2026-10-05")

    # Monday 5 October, 9 am; the series inputs appear only once a repeat is chosen.
    monday = driver.find_elements(By.CSS_SELECTOR, ".wk-day")[0]
    monday.find_elements(By.CSS_SELECTOR, ".wk-slot")[9].click()
    form = wait_for(driver, shows.visibility_of_element_located((By.CSS_SELECTOR, "#modal form")))
    assert not form.find_element(By.ID, "weekdays").is_displayed()
    form.find_element(By.NAME, "title").send_keys("Weekly check-in")
    Select(form.find_element(By.NAME, "repeat")).select_by_value("weekly")
    assert form.find_element(By.ID, "weekdays").is_displayed()
    assert not form.find_element(By.NAME, "count").is_displayed()
    form.find_element(By.CSS_SELECTOR, "input[name=ends][value=count]").click()
    form.find_element(By.NAME, "count").send_keys("4")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda d: d.find_element(By.ID, "modal").text == "")
    block = wait_for(
        driver, shows.visibility_of_element_located((By.CSS_SELECTOR, ".wk-day [data-event-id]"))
    )
    assert "↻" in block.text and "9:00 am" in block.text

    # The occurrence's form asks what a change applies to; "this event" hides the series.
    block.click()
    form = wait_for(driver, shows.visibility_of_element_located((By.CSS_SELECTOR, "#modal form")))
    assert form.find_element(By.ID, "scope").is_displayed()
    assert not form.find_element(By.NAME, "repeat").is_displayed()
    form.find_element(By.CSS_SELECTOR, "input[name=scope][value=following]").click()
    assert form.find_element(By.NAME, "repeat").is_displayed()
    form.find_element(By.CSS_SELECTOR, "input[name=scope][value=this]").click()
    driver.find_element(By.CSS_SELECTOR, ".modal-footer .danger").click()
    wait_for(driver, shows.alert_is_present()).accept()
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".wk-day [data-event-id]"))

    # Only that occurrence went: the next Monday still has its check-in.
    driver.find_element(By.CSS_SELECTOR, "a[aria-label='Next week']").click()
    wait_for(driver, lambda d: "12 – 18 October 2026" in d.find_element(By.ID, "week").text)
    [next_monday] = driver.find_elements(By.CSS_SELECTOR, ".wk-day [data-event-id]")
    assert next_monday.get_attribute("data-day") == "2026-10-12"
