"""In Chromium: an admin invites a colleague, the colleague joins from the link, an admin
chooses a coordinator's calendar from the week view, and a member changes their settings
(the calendar follows the new time zone). Each page passes axe-core (tests/browser/axe.py)."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import User
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import log_in, screenshot, wait_for

pytestmark = pytest.mark.browser

PASSWORD = "a long and careful passphrase"


def test_an_admin_invites_and_the_colleague_joins_from_the_link(driver, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import Select

    admin = factories.make_user(email="alex@example.com", name="Alex Admin")
    factories.make_user(business=admin.business, email="casey@example.com").is_admin = False
    db.session.commit()
    log_in(driver, live_server, admin.email)
    driver.get(f"{live_server}/team")
    driver.find_element(By.NAME, "email").send_keys("jamie@example.com")
    driver.find_element(By.CSS_SELECTOR, "#invite button[type=submit]").click()
    field = wait_for(driver, shows.visibility_of_element_located((By.ID, "invite-link")))
    link = field.get_attribute("value")
    assert link.startswith("http://localhost") and "/join/" in link
    assert "jamie@example.com" in driver.find_element(By.ID, "invites").text
    screenshot(driver, "team-members")
    assert_no_axe_violations(driver)

    # The colleague, in a browser of their own (no cookies of the admin's).
    driver.delete_all_cookies()
    driver.get(live_server + link.partition("/join/")[1] + link.partition("/join/")[2])
    wait_for(driver, shows.visibility_of_element_located((By.NAME, "name")))
    assert "Join Bright Path Coordination" in driver.page_source
    assert_no_axe_violations(driver)
    driver.find_element(By.NAME, "name").send_keys("Jamie New")
    Select(driver.find_element(By.NAME, "time_zone")).select_by_value("Australia/Perth")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.NAME, "confirm").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(driver, shows.presence_of_element_located((By.ID, "week")))
    assert "Perth" in driver.find_element(By.ID, "week").text
    assert "Jamie New" in driver.find_element(By.CSS_SELECTOR, ".topbar").text
    joined = db.session.query(User).filter_by(email="jamie@example.com").one()
    assert joined.business_id == admin.business_id and not joined.is_admin


def test_a_member_changes_their_zone_and_password_in_settings(driver, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import Select

    user = factories.make_user(email="casey@example.com", name="Casey Coordinator")
    db.session.commit()
    log_in(driver, live_server, user.email)
    driver.get(f"{live_server}/settings")
    name = driver.find_element(By.NAME, "name")
    name.clear()
    name.send_keys("Casey Carter")
    Select(driver.find_element(By.NAME, "time_zone")).select_by_value("Australia/Adelaide")
    driver.find_element(By.CSS_SELECTOR, "#profile button[type=submit]").click()
    wait_for(driver, lambda d: "Your details are saved." in d.page_source)
    screenshot(driver, "settings")
    assert_no_axe_violations(driver)

    driver.find_element(By.NAME, "current_password").send_keys(factories.PASSWORD)
    driver.find_element(By.NAME, "new_password").send_keys(PASSWORD)
    driver.find_element(By.NAME, "confirm").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#change-password button[type=submit]").click()
    wait_for(driver, lambda d: "You were logged out everywhere else." in d.page_source)

    driver.get(f"{live_server}/calendar")
    week = wait_for(driver, shows.presence_of_element_located((By.ID, "week")))
    assert "Adelaide" in week.text
    assert "Casey Carter" in driver.find_element(By.CSS_SELECTOR, ".topbar").text


def test_an_admin_chooses_a_coordinators_calendar_from_the_week(driver, live_server):
    from datetime import UTC, datetime

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import Select

    admin = factories.make_user(email="alex@example.com", name="Alex Admin")
    robin = factories.make_user(business=admin.business, email="robin@example.com", name="Robin")
    robin.is_admin = False
    factories.make_event(robin, "Robin home visit", datetime(2026, 10, 4, 22, tzinfo=UTC))
    db.session.commit()
    log_in(driver, live_server, admin.email)
    driver.get(f"{live_server}/calendar?week=2026-10-05")
    Select(driver.find_element(By.ID, "coordinator")).select_by_visible_text("Robin")
    driver.find_element(By.CSS_SELECTOR, ".coordinator-picker button").click()
    wait_for(driver, shows.presence_of_element_located((By.ID, "viewing-other")))
    week = driver.find_element(By.ID, "week")
    assert "Robin home visit" in week.text
    assert_no_axe_violations(driver)

    driver.get(f"{live_server}/team/integrations")
    row = wait_for(driver, shows.presence_of_element_located((By.ID, "coordinator-sync")))
    assert "Robin" in row.text and "Remind by email" in row.text
    assert_no_axe_violations(driver)
