"""A new coordinator signs up, opens the week and books an appointment through the modal."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for

pytestmark = pytest.mark.browser


def test_a_new_coordinator_books_an_appointment_in_the_week_view(driver, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import Select

    driver.get(f"{live_server}/signup")
    for name, value in {
        "business_name": "Bright Path Coordination",
        "name": "Casey Coordinator",
        "email": "casey@example.com",
        "password": "a long enough password",
        "confirm": "a long enough password",
    }.items():
        driver.find_element(By.NAME, name).send_keys(value)
    Select(driver.find_element(By.NAME, "time_zone")).select_by_value("Australia/Brisbane")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()

    week = wait_for(driver, shows.presence_of_element_located((By.ID, "week")))
    assert "Times in Brisbane" in week.text

    # Wednesday, 10 am: the slot opens the form already set to that hour.
    wednesday = driver.find_elements(By.CSS_SELECTOR, ".wk-day")[2]
    wednesday.find_elements(By.CSS_SELECTOR, ".wk-slot")[10].click()
    form = wait_for(driver, shows.visibility_of_element_located((By.CSS_SELECTOR, "#modal form")))
    assert form.find_element(By.NAME, "start").get_attribute("value").endswith("T10:00")
    form.find_element(By.NAME, "title").send_keys("Home visit with Jordan")
    form.find_element(By.NAME, "location").send_keys("12 Example St, Toowong")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    block = wait_for(
        driver, shows.visibility_of_element_located((By.CSS_SELECTOR, ".wk-day [data-event-id]"))
    )
    wait_for(driver, lambda d: d.find_element(By.ID, "modal").text == "")
    assert "Home visit with Jordan" in block.text and "10:00 am" in block.text
    assert block.get_attribute("data-day") == wednesday_date(driver)
    assert "Home visit with Jordan" in driver.find_element(By.CSS_SELECTOR, ".agenda").text
    screenshot(driver, "calendar-week")

    # Deleting sends no form fields: only htmx's X-CSRFToken header gets it past CSRF.
    block.click()
    delete = wait_for(
        driver, shows.element_to_be_clickable((By.CSS_SELECTOR, ".modal-footer .danger"))
    )
    screenshot(driver, "calendar-event-form")
    delete.click()
    wait_for(driver, shows.alert_is_present()).accept()
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-event-id]"))


def wednesday_date(driver) -> str:
    """The ISO date of the Wednesday column, read from its first hour slot."""
    from selenium.webdriver.common.by import By

    slot = driver.find_elements(By.CSS_SELECTOR, ".wk-day")[2].find_element(
        By.CSS_SELECTOR, ".wk-slot"
    )
    return slot.get_attribute("hx-get").split("start=")[1][:10]
