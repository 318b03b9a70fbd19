"""Every main page and dialog passes axe-core (tests/browser/axe.py) with no violation.

Logged out: log-in and sign-up. Logged in: participants (list, form, the shared-NDIS-number
warning), the calendar (week, the event dialog, the discard question), the Google card not
connected and connected, its Disconnect and Change calendar dialogs and privacy question,
resolved conflicts, help (page and panel) and an error page.
"""

from __future__ import annotations

import pytest

from portal.calendar.layout import monday_of
from portal.calendar.timeutil import to_local
from portal.extensions import db
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import log_in, wait_for
from tests.google.sync_support import SOON

pytestmark = pytest.mark.browser


@pytest.fixture
def portal(live_portal: str, app) -> str:
    """The live portal; each test turns CSRF on, as in production, once its fixtures are in."""
    return live_portal


def shown(driver, css: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows

    return wait_for(driver, shows.visibility_of_element_located((By.CSS_SELECTOR, css)))


def test_axe_finds_what_it_should(portal, google, driver):
    """The helper fails on a page that breaks a rule (an image without a text alternative)."""
    driver.get("data:text/html,<html lang=en><title>t</title><main><img src=x.png></main></html>")
    with pytest.raises(AssertionError, match=r"image-alt \(critical\) at img"):
        assert_no_axe_violations(driver)


def test_log_in_and_sign_up_pass_axe(portal, google, driver, app):
    app.config["WTF_CSRF_ENABLED"] = True
    driver.get(f"{portal}/login")
    shown(driver, "form")
    assert_no_axe_violations(driver)
    driver.get(f"{portal}/signup")
    shown(driver, "form")
    assert_no_axe_violations(driver)


def test_participants_calendar_help_and_errors_pass_axe(portal, google, driver, app):
    from selenium.webdriver.common.by import By

    app.config["WTF_CSRF_ENABLED"] = True
    user = factories.make_user(email="robin@example.com")
    factories.make_participant(user.business_id, name="Jordan Lee")
    start = SOON.replace(minute=0, second=0, microsecond=0)
    factories.make_event(user, "Home visit with Jordan", start)
    db.session.commit()
    log_in(driver, portal, user.email)

    # The week, with an event on it.
    week = monday_of(to_local(start, user.time_zone).date().isoformat(), start.date())
    driver.get(f"{portal}/calendar?week={week.isoformat()}")
    shown(driver, "[data-event-id]")
    assert_no_axe_violations(driver)

    # The event dialog, then the question Escape asks once something was typed.
    driver.find_element(By.XPATH, "//button[normalize-space()='New event']").click()
    title = shown(driver, "#modal input[name=title]")
    assert_no_axe_violations(driver)
    title.send_keys("Plan review")
    title.send_keys("\ue00c")  # Escape
    shown(driver, "#modal .discard-confirm")
    assert_no_axe_violations(driver)

    # Participants: the list, the form and its warning about a shared NDIS number.
    driver.get(f"{portal}/participants")
    shown(driver, "table.list")
    assert_no_axe_violations(driver)
    driver.get(f"{portal}/participants/new")
    driver.find_element(By.NAME, "name").send_keys("Sam Nguyen")
    driver.find_element(By.NAME, "ndis_number").send_keys("430123456")
    driver.find_element(By.CSS_SELECTOR, ".actions button.primary").click()
    shown(driver, "#ndis-duplicate")
    assert_no_axe_violations(driver)

    # Help, as a page and as the panel; an error page.
    driver.get(f"{portal}/help")
    shown(driver, "h1")
    assert_no_axe_violations(driver)
    driver.get(f"{portal}/participants")
    driver.find_element(By.CSS_SELECTOR, ".help-button").click()
    shown(driver, "#help-panel .help-content")
    assert_no_axe_violations(driver)
    driver.get(f"{portal}/participants/999999/edit")
    shown(driver, ".error-page")
    assert_no_axe_violations(driver)


def test_the_google_card_not_connected_passes_axe(portal, google, driver, app):
    app.config["WTF_CSRF_ENABLED"] = True
    user = factories.make_user(email="robin@example.com")
    db.session.commit()
    log_in(driver, portal, user.email)
    driver.get(f"{portal}/portal/integrations")
    shown(driver, "#google-card[data-state=not_connected]")
    assert_no_axe_violations(driver)


def test_the_google_card_and_its_dialogs_connected_pass_axe(
    portal, connected, coordinator, google, driver, app
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from portal.google.sync.activity import log_activity

    app.config["WTF_CSRF_ENABLED"] = True
    log_activity(
        connected,
        "conflict",
        "“Home visit” was changed in both places; kept the Google version",
        outcome="google_won",
        detail={"winner": "google", "loser": {"side": "portal", "title": "Home visit"}},
    )
    db.session.commit()
    log_in(driver, portal, coordinator.email)
    driver.get(f"{portal}/portal/integrations")
    shown(driver, "#google-card[data-state=connected]")
    assert_no_axe_violations(driver)

    # Showing Google more asks first.
    Select(driver.find_element(By.NAME, "privacy_level")).select_by_value("full")
    shown(driver, "#privacy-question")
    assert_no_axe_violations(driver)
    driver.find_element(By.ID, "privacy-keep").click()
    wait_for(driver, lambda d: not d.find_elements(By.ID, "privacy-question"))

    for button, dialog in (("google-disconnect", "#disconnect-form"),
                           ("google-change-calendar", "#calendar-form")):  # fmt: skip
        driver.find_element(By.ID, button).click()
        shown(driver, f"#modal [role=dialog] {dialog}")
        assert_no_axe_violations(driver)
        driver.get(f"{portal}/portal/integrations")
        shown(driver, "#google-card")

    driver.get(f"{portal}/portal/integrations/google/conflicts")
    shown(driver, "#google-conflicts-list")
    assert_no_axe_violations(driver)
