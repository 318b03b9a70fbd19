"""The event dialog and the help panel from the keyboard alone, in a real browser.

Focus stays inside the open dialog (Tab and Shift+Tab cycle), goes back to what opened it,
and Escape asks before throwing typed text away; the help panel takes focus and Escape
closes it. The weekly days of a new series follow its start date until ticked by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Event
from tests import factories
from tests.browser.conftest import log_in, wait_for

pytestmark = pytest.mark.browser

WEEK = "2026-10-05"  # Monday 5 – Sunday 11 October 2026


def active(browser):
    return browser.switch_to.active_element


def press(browser, *keys) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(*keys).perform()


def in_dialog(browser) -> bool:
    return browser.execute_script(
        "var d = document.querySelector('#modal [role=dialog]');"
        "return Boolean(d && d.contains(document.activeElement));"
    )


def dialog_open(browser) -> bool:
    return bool(browser.execute_script("return document.querySelector('#modal [role=dialog]')"))


def focused_is(browser, element) -> bool:
    return browser.execute_script("return document.activeElement === arguments[0]", element)


def open_new_event_from_the_keyboard(browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    button = browser.find_element(By.XPATH, "//button[normalize-space()='New event']")
    browser.execute_script("arguments[0].focus()", button)
    press(browser, Keys.ENTER)
    wait_for(browser, lambda d: in_dialog(d))
    return button


def open_week_signed_in(driver, live_server: str) -> None:
    """A new coordinator in Sydney, signed in, on the test's week."""
    user = factories.make_user(time_zone="Australia/Sydney")
    db.session.commit()
    log_in(driver, live_server, user.email)
    driver.get(f"{live_server}/calendar?week={WEEK}")


def test_the_event_dialog_keeps_focus_asks_before_discarding_and_gives_focus_back(
    driver,
    live_server,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_week_signed_in(driver, live_server)
    opener = open_new_event_from_the_keyboard(driver)
    assert active(driver).get_attribute("name") == "title"

    for step in range(30):
        press(driver, Keys.TAB)
        assert in_dialog(driver), f"Tab {step + 1} left the dialog"
    for step in range(30):
        press(driver, Keys.SHIFT, Keys.TAB, Keys.SHIFT)
        assert in_dialog(driver), f"Shift+Tab {step + 1} left the dialog"

    # Typed text: Escape asks inside the dialog, and "Keep editing" is where focus goes.
    title = driver.find_element(By.CSS_SELECTOR, "#modal input[name=title]")
    driver.execute_script("arguments[0].focus()", title)
    press(driver, "Plan review")
    press(driver, Keys.ESCAPE)
    question = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".discard-confirm"))
    wait_for(driver, lambda d: question.is_displayed())
    assert active(driver).get_attribute("data-discard") == "no"
    for _ in range(5):  # the question keeps focus while it is asked
        press(driver, Keys.TAB)
        assert driver.execute_script(
            "return arguments[0].contains(document.activeElement)", question
        )
    # Escape again: keep editing, nothing lost.
    press(driver, Keys.ESCAPE)
    wait_for(driver, lambda d: not question.is_displayed())
    assert dialog_open(driver) and title.get_attribute("value") == "Plan review"

    # Asked again, and this time discarded: the dialog closes and focus is on the opener.
    press(driver, Keys.ESCAPE)
    wait_for(driver, lambda d: question.is_displayed())
    driver.find_element(By.CSS_SELECTOR, "[data-discard=yes]").click()
    wait_for(driver, lambda d: not dialog_open(d))
    wait_for(driver, lambda d: focused_is(d, opener))

    # A form nobody changed closes on Escape at once, and focus goes back.
    open_new_event_from_the_keyboard(driver)
    press(driver, Keys.ESCAPE)
    wait_for(driver, lambda d: not dialog_open(d))
    wait_for(driver, lambda d: focused_is(d, opener))


def test_an_event_opened_from_the_grid_gets_focus_back_after_saving(
    driver,
    live_server,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    user = factories.make_user(time_zone="Australia/Sydney")
    event = factories.make_event(
        user, "Home visit", start=datetime.fromisoformat("2026-10-05T23:00+00:00")
    )
    db.session.commit()
    log_in(driver, live_server, user.email)
    driver.get(f"{live_server}/calendar?week={WEEK}")
    block = driver.find_element(By.CSS_SELECTOR, f".wk-event[data-event-id='{event.id}']")
    driver.execute_script("arguments[0].focus()", block)
    press(driver, Keys.ENTER)
    wait_for(driver, lambda d: in_dialog(d))
    press(driver, Keys.END, " (keys)", Keys.ENTER)  # Enter in the title submits the form

    # The week is drawn anew; focus lands on the same event's new block.
    wait_for(driver, lambda d: not dialog_open(d))
    wait_for(
        driver,
        lambda d: (
            d.execute_script("return document.activeElement.dataset.eventId") == str(event.id)
        ),
    )
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Home visit (keys)"


def test_the_help_panel_takes_focus_and_escape_closes_it(
    driver,
    live_server,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    user = factories.make_user()
    db.session.commit()
    log_in(driver, live_server, user.email)
    button = driver.find_element(By.CSS_SELECTOR, ".help-button")
    driver.execute_script("arguments[0].focus()", button)
    press(driver, Keys.ENTER)
    wait_for(driver, lambda d: active(d).get_attribute("id") == "help-content")
    press(driver, Keys.ESCAPE)
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "#help-panel .help-content"))
    wait_for(driver, lambda d: focused_is(d, button))


def set_value(browser, element, value: str) -> None:
    """As a person picking a date does: the value changes, then `change` fires."""
    browser.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        element,
        value,
    )


def ticked(form) -> list[str]:
    from selenium.webdriver.common.by import By

    boxes = form.find_elements(By.CSS_SELECTOR, "input[name=weekdays]")
    return [box.get_attribute("value") for box in boxes if box.is_selected()]


def test_the_weekly_day_follows_the_start_date_until_picked_by_hand(
    driver,
    live_server,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_week_signed_in(driver, live_server)
    monday = driver.find_elements(By.CSS_SELECTOR, ".wk-day")[0]
    driver.execute_script(
        "arguments[0].click()", monday.find_elements(By.CSS_SELECTOR, ".wk-slot")[9]
    )
    form = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#modal form.event-form"))
    form.find_element(By.NAME, "title").send_keys("Weekly check-in")
    Select(form.find_element(By.NAME, "repeat")).select_by_value("weekly")
    assert ticked(form) == ["MO"]

    # Moved to Wednesday: Wednesday is ticked instead, and the series saves.
    set_value(driver, form.find_element(By.NAME, "start"), "2026-10-07T09:00")
    set_value(driver, form.find_element(By.NAME, "end"), "2026-10-07T10:00")
    assert ticked(form) == ["WE"]
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda d: d.find_element(By.ID, "modal").text == "")
    db.session.expire_all()
    series = db.session.scalars(select(Event).where(Event.title == "Weekly check-in")).one()
    assert "BYDAY=WE" in series.recurrence

    # Days ticked by hand stay as they are when the start moves.
    # The week reloads after the save: a button found just before it is gone, so look again.
    new_event = "//button[normalize-space()='New event']"
    wait_for(driver, lambda d: d.find_element(By.XPATH, new_event).click() or True)
    form = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#modal form.event-form"))
    Select(form.find_element(By.NAME, "repeat")).select_by_value("weekly")
    before = ticked(form)
    friday = form.find_element(By.CSS_SELECTOR, "input[name=weekdays][value=FR]")
    if "FR" not in before:
        friday.click()
    start = form.find_element(By.NAME, "start").get_attribute("value")
    moved = (datetime.fromisoformat(start) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    set_value(driver, form.find_element(By.NAME, "start"), moved)
    assert set(ticked(form)) == set(before) | {"FR"}
