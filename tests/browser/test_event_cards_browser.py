"""The week's event cards on a desktop screen: short ones keep their title and start, focus and
hover open the whole card, Google's own events say so, and the hours open at the right place."""

from __future__ import annotations

from datetime import datetime

import pytest

from portal.calendar.timeutil import to_utc
from portal.extensions import db
from tests import factories
from tests.browser.conftest import log_in, wait_for

pytestmark = pytest.mark.browser

ZONE = "Australia/Brisbane"  # no daylight saving: the hours below are the hours shown
# A fixed week far from any test run: Monday 3 – Sunday 9 March 2031.
EARLY_WEEK, QUIET_WEEK = "2031-03-03", "2031-03-10"


def at(day: str, hour: int, minute: int = 0) -> datetime:
    """A Brisbane wall-clock time, as UTC."""
    return to_utc(datetime.fromisoformat(day).replace(hour=hour, minute=minute), ZONE)


@pytest.fixture
def week_of_cards(app):
    """A coordinator with an early visit, a short call and a Google event one week, a late
    morning visit the next."""
    user = factories.make_user(time_zone=ZONE)
    jordan = factories.make_participant(user.business_id, name="Jordan Lee")
    factories.make_event(user, "Early visit", at("2031-03-03", 5, 30), participant=jordan)
    factories.make_event(
        user,
        "Weekly phone call with the provider",
        at("2031-03-04", 10),
        minutes=30,
        participant=jordan,
    )
    factories.make_event(user, "Dentist", at("2031-03-05", 13), origin="google")
    factories.make_event(user, "Late morning visit", at("2031-03-12", 11))
    db.session.commit()
    return user


def card(driver, title: str):
    """The grid card whose title starts so."""
    from selenium.webdriver.common.by import By

    for found in driver.find_elements(By.CSS_SELECTOR, ".wk-event"):
        if found.find_element(By.CLASS_NAME, "wk-event-title").text.startswith(title[:8]):
            return found
    raise AssertionError(f"no card {title!r}")


def box(driver, element) -> dict[str, float]:
    """The element's box on the screen."""
    return driver.execute_script(
        "const b = arguments[0].getBoundingClientRect();"
        " return {top: b.top, bottom: b.bottom, left: b.left, right: b.right, width: b.width}",
        element,
    )


def test_the_hours_open_at_the_first_start_or_seven(driver, live_server, week_of_cards):
    from selenium.webdriver.common.by import By

    log_in(driver, live_server, week_of_cards.email)
    for week, hour in ((EARLY_WEEK, 5), (QUIET_WEEK, 7)):
        driver.get(f"{live_server}/calendar?week={week}")
        wait_for(driver, lambda d, h=hour: scrolled_to(d) == h * hour_height(d))
    # Moving to another week through htmx opens it at its own hour too.
    driver.find_element(By.CSS_SELECTOR, '[aria-label="Previous week"]').click()
    wait_for(driver, lambda d: f"week={EARLY_WEEK}" in d.current_url)
    wait_for(driver, lambda d: scrolled_to(d) == 5 * hour_height(d))


def scrolled_to(driver) -> int:
    """How far the hours are scrolled, in pixels."""
    return driver.execute_script("return document.querySelector('.wk-scroll').scrollTop")


def hour_height(driver) -> int:
    """One hour's height in the grid, in pixels."""
    return driver.execute_script("return document.querySelector('.wk-hour-label').offsetHeight")


def test_a_short_card_shows_its_start_and_title_and_opens_on_focus(
    driver, live_server, week_of_cards
):
    from selenium.webdriver.common.by import By

    log_in(driver, live_server, week_of_cards.email)
    driver.get(f"{live_server}/calendar?week={EARLY_WEEK}")
    call = wait_for(driver, lambda d: card(d, "Weekly phone call"))
    assert "is-short" in call.get_attribute("class")
    start = call.find_element(By.CLASS_NAME, "wk-event-start")
    title = call.find_element(By.CLASS_NAME, "wk-event-title")
    outer, start_box, title_box = box(driver, call), box(driver, start), box(driver, title)
    assert start.text == "10:00 am"
    # Both on the card's one line, the title given the room the start leaves.
    for inner in (start_box, title_box):
        assert outer["top"] <= inner["top"] and inner["bottom"] <= outer["bottom"] + 1
        assert outer["left"] <= inner["left"] and inner["right"] <= outer["right"] + 1
    assert title_box["width"] > 40
    # Its accessible name has everything, the time range and participant included.
    name = call.accessible_name
    assert "Weekly phone call with the provider" in name and "10:00 am – 10:30 am" in name
    assert "Jordan Lee" in name

    closed_height = outer["bottom"] - outer["top"]
    driver.execute_script("arguments[0].focus()", call)
    wait_for(driver, lambda d: box(d, call)["bottom"] - box(d, call)["top"] > closed_height)
    time_line = call.find_element(By.CLASS_NAME, "wk-event-time")
    assert time_line.is_displayed() and time_line.text == "10:00 am – 10:30 am"
    assert call.find_element(By.CLASS_NAME, "wk-event-who").text == "Jordan Lee"
    assert title.text == "Weekly phone call with the provider"
    fits = driver.execute_script(
        "return arguments[0].scrollHeight <= arguments[0].clientHeight + 1", call
    )
    assert fits


def test_an_hour_long_card_keeps_its_time_and_participant(driver, live_server, week_of_cards):
    from selenium.webdriver.common.by import By

    log_in(driver, live_server, week_of_cards.email)
    driver.get(f"{live_server}/calendar?week={EARLY_WEEK}")
    visit = wait_for(driver, lambda d: card(d, "Early visit"))
    outer = box(driver, visit)
    for part in ("wk-event-title", "wk-event-time", "wk-event-who"):
        inner = box(driver, visit.find_element(By.CLASS_NAME, part))
        assert inner["bottom"] <= outer["bottom"] + 1, part


def test_an_event_from_google_says_so(driver, live_server, week_of_cards):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    log_in(driver, live_server, week_of_cards.email)
    driver.get(f"{live_server}/calendar?week={EARLY_WEEK}")
    dentist = wait_for(driver, lambda d: card(d, "Dentist"))
    marker = dentist.find_element(By.CLASS_NAME, "source-google")
    assert marker.is_displayed() and box(driver, marker)["width"] > 20
    assert marker.text.split() == ["from", "Google"]  # "from" only for screen readers
    assert "from Google" in dentist.accessible_name
    assert not card(driver, "Early visit").find_elements(By.CLASS_NAME, "source-google")
    # Hover opens the card as focus does.
    closed = box(driver, dentist)["bottom"]
    ActionChains(driver).move_to_element(dentist).perform()
    wait_for(driver, lambda d: box(d, dentist)["bottom"] >= closed)
