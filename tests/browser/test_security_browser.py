"""Under the Content-Security-Policy the pages still work, Escape closes the dialog, and Back
after logout shows no page that was seen logged in."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests import factories
from tests.browser.conftest import log_in, wait_for

pytestmark = pytest.mark.browser

LISTEN = (
    "window.cspViolations = [];"
    "document.addEventListener('securitypolicyviolation', e =>"
    " window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


def test_the_week_and_its_dialog_work_under_the_csp_and_escape_closes_it(driver, live_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as shows

    user = factories.make_user()
    db.session.commit()
    log_in(driver, live_server, user.email)
    driver.execute_script(LISTEN)
    driver.find_elements(By.CSS_SELECTOR, ".wk-day")[2].find_elements(By.CSS_SELECTOR, ".wk-slot")[
        10
    ].click()
    form = wait_for(driver, shows.visibility_of_element_located((By.CSS_SELECTOR, "#modal form")))
    # Escape with typed text asks inside the dialog first (static/js/portal.js).
    form.find_element(By.NAME, "title").send_keys("Check-in", Keys.ESCAPE)
    discard = wait_for(
        driver, shows.visibility_of_element_located((By.CSS_SELECTOR, "[data-discard=yes]"))
    )
    discard.click()
    wait_for(driver, lambda d: d.find_element(By.ID, "modal").text == "")
    assert driver.execute_script("return window.cspViolations") == []


def test_back_after_logout_shows_the_login_page_not_the_participants(driver, live_server):
    from selenium.webdriver.common.by import By

    user = factories.make_user()
    factories.make_participant(user.business_id, name="Jordan Lee", ndis="430123456")
    db.session.commit()
    log_in(driver, live_server, user.email)
    driver.get(f"{live_server}/participants")
    assert "430123456" in driver.page_source
    driver.find_element(By.CSS_SELECTOR, ".whoami button").click()
    wait_for(driver, lambda d: "/login" in d.current_url)
    driver.back()
    wait_for(driver, lambda d: d.find_elements(By.NAME, "password"))
    assert "430123456" not in driver.page_source
