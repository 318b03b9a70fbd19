"""The portal on a phone (390 × 844 in Chromium): every page fits the screen, the bar's links
fold into a menu, the calendar opens on the day and moves day by day, and the event dialog's
Save button stays in reach."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from portal.calendar.timeutil import format_day, to_utc, today_in
from portal.extensions import db
from tests import factories
from tests.browser.conftest import log_in, screenshot, wait_for

pytestmark = pytest.mark.browser

PHONE = (390, 844)
ZONE = "Australia/Brisbane"

# What sticks out of the screen, for the failure message: the outermost offenders.
WIDER_THAN_SCREEN = """
const limit = window.innerWidth + 0.5;
const right = e => e.getBoundingClientRect().right;
return [...document.querySelectorAll('body *')]
  .filter(e => right(e) > limit && e.getClientRects().length)
  .filter(e => right(e.parentElement) <= limit)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(right(e)));
"""

# Controls drawn smaller than 44 × 44 px (WCAG 2.5.5's size). Checkboxes aside (their label
# is the target), and links within a sentence (text beside them in the same element).
SMALL_TARGETS = """
const inSentence = e => e.tagName === 'A' && [...e.parentElement.childNodes].some(
  n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
const controls = [...document.querySelectorAll(
  'a, button, .button, summary, select, textarea, label:has(input[type=checkbox]),'
  + ' input:not([type=hidden]):not([type=checkbox]):not([type=radio])')]
  .filter(e => !inSentence(e));
const size = e => Math.round(e.getBoundingClientRect().width) + 'x'
  + Math.round(e.getBoundingClientRect().height);
return controls.filter(e => {
  const box = e.getBoundingClientRect();
  if (!box.width || !box.height || e.closest('[hidden], .visually-hidden')) return false;
  return box.width < 43.5 || box.height < 43.5;
}).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + size(e));
"""


def on_a_phone(driver) -> None:
    """Make the window phone-sized and check the page then lays out 390 px wide."""
    driver.set_window_size(*PHONE)
    assert driver.execute_script("return window.innerWidth") == PHONE[0]


def assert_fits(driver, page: str) -> None:
    """No horizontal scrolling, and every control big enough for a finger."""
    width, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width <= inner, (page, width, driver.execute_script(WIDER_THAN_SCREEN))
    assert driver.execute_script(SMALL_TARGETS) == [], page


def local(day, hour: int, minute: int = 0) -> datetime:
    """A Brisbane wall-clock time on day, as UTC."""
    return to_utc(datetime.combine(day, time(hour, minute)), ZONE)


@pytest.fixture
def busy_day(app):
    """A coordinator in Brisbane with today's appointments, one of them from their Google."""
    user = factories.make_user(time_zone=ZONE)
    jordan = factories.make_participant(user.business_id, name="Jordan Lee")
    today = today_in(ZONE)
    factories.make_event(
        user,
        "Home visit with Jordan to review the plan goals",
        local(today, 9),
        participant=jordan,
        location="12 Example St, Toowong",
    )
    factories.make_event(user, "Phone check-in", local(today, 11), minutes=30)
    dentist = factories.make_event(user, "Dentist", local(today, 14), origin="google")
    factories.make_event(user, "Provider meeting", local(today + timedelta(days=1), 10))
    db.session.commit()
    return user, jordan, dentist.id


def test_every_page_fits_a_phone_screen(driver, live_server, busy_day, app):
    from flask import url_for
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows

    user, jordan, dentist = busy_day
    on_a_phone(driver)
    with app.test_request_context():
        signed_out = [
            url_for(endpoint) for endpoint in SIGNED_OUT if endpoint in app.view_functions
        ]
        pages = [url_for(endpoint, **args) for endpoint, args in signed_in_pages(jordan, dentist)]
        pages += [url_for(endpoint) for endpoint in OTHER_PAGES if endpoint in app.view_functions]
    signed_out += links_sent_by_email(user)
    for path in signed_out:
        driver.get(f"{live_server}{path}")
        assert not driver.title.startswith("4"), (path, driver.title)
        assert_fits(driver, path)
    driver.get(f"{live_server}/no-such-page")
    assert driver.title.startswith("404")
    assert_fits(driver, "a page that is not there")

    log_in(driver, live_server, user.email)
    for path in pages:
        driver.get(f"{live_server}{path}")
        wait_for(driver, shows.presence_of_element_located((By.CSS_SELECTOR, "main")))
        assert not driver.title[:1].isdigit(), (path, driver.title)  # not an error page
        assert_fits(driver, path)
    driver.get(f"{live_server}/calendar/events/999999/edit")
    assert driver.title.startswith("404")
    assert_fits(driver, "an event that is not there")

    driver.get(f"{live_server}/calendar")
    wait_for(driver, lambda d: "view=day" in d.current_url)
    driver.find_element(By.CSS_SELECTOR, ".help-button").click()
    wait_for(driver, shows.visibility_of_element_located((By.CSS_SELECTOR, ".help-content")))
    assert_fits(driver, "help panel")


SIGNED_OUT = ("auth.login", "auth.signup", "auth.forgot_password")


def links_sent_by_email(user) -> list[str]:
    """The pages an emailed link opens: choosing a new password, joining from an invite."""
    from portal.auth.reset import hash_token
    from portal.models import PasswordReset, utcnow
    from portal.team.operations import invite_member

    token = "phone-reset-" + "x" * 30
    expires = utcnow() + timedelta(hours=1)
    db.session.add(PasswordReset(user_id=user.id, token_hash=hash_token(token), expires_at=expires))
    invite = invite_member(user, "new.colleague@example.org")
    db.session.commit()
    return [f"/reset-password/{token}", f"/join/{invite.token}"]


# Pages of other parts of the portal, checked once they exist.
OTHER_PAGES = ("settings.page", "team.members", "team.integrations")


def signed_in_pages(jordan, dentist: int) -> list[tuple[str, dict]]:
    """Every page a coordinator opens, as (endpoint, arguments)."""
    return [
        ("calendar.week", {}),
        ("calendar.week", {"view": "3day"}),
        ("calendar.week", {"view": "week"}),
        ("calendar.new", {}),
        ("calendar.edit", {"event_id": dentist}),
        ("participants.index", {}),
        ("participants.index", {"archived": 1}),
        ("participants.new", {}),
        ("participants.edit", {"participant_id": jordan.id}),
        ("integrations.index", {}),
        ("integrations.conflicts", {}),
    ]


def test_the_menu_opens_and_its_links_lead_on(driver, live_server, busy_day):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows

    user = busy_day[0]
    on_a_phone(driver)
    log_in(driver, live_server, user.email)
    menu = driver.find_element(By.ID, "site-menu")
    assert not menu.is_displayed()
    # Nothing of the bar sticks out: brand, Menu and the help button share one row.
    assert_fits(driver, "calendar")
    driver.find_element(By.CSS_SELECTOR, ".menu-button").click()
    wait_for(driver, lambda d: menu.is_displayed())
    links = {link.text: link for link in menu.find_elements(By.CSS_SELECTOR, "a, button")}
    assert {"Calendar", "Participants", "Log out"} <= set(links)
    for link in menu.find_elements(By.CSS_SELECTOR, "a, summary, button"):
        box = link.rect
        if link.is_displayed():
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE[0] + 0.5, link.text
    menu.find_element(By.CSS_SELECTOR, "summary").click()
    manage = wait_for(driver, shows.element_to_be_clickable((By.LINK_TEXT, "Manage Integrations")))
    screenshot(driver, "phone-menu")
    manage.click()
    wait_for(driver, lambda d: d.current_url.endswith("/integrations"))
    assert_fits(driver, "integrations")

    driver.find_element(By.CSS_SELECTOR, ".menu-button").click()
    wait_for(driver, shows.element_to_be_clickable((By.LINK_TEXT, "Participants"))).click()
    wait_for(driver, lambda d: d.current_url.endswith("/participants"))
    assert "Jordan Lee" in driver.find_element(By.TAG_NAME, "main").text


def test_the_calendar_opens_on_the_day_and_moves_day_by_day(driver, live_server, busy_day):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows

    user = busy_day[0]
    today = today_in(ZONE)
    on_a_phone(driver)
    log_in(driver, live_server, user.email)
    wait_for(driver, lambda d: "view=day" in d.current_url)
    title = wait_for(driver, shows.visibility_of_element_located((By.CLASS_NAME, "week-title")))
    assert title.text == format_day(today)
    # The agenda is the view: the grid is left out, the day's appointments listed in order.
    assert not driver.find_element(By.CSS_SELECTOR, ".wk").is_displayed()
    agenda = driver.find_element(By.CSS_SELECTOR, ".agenda")
    titles = [item.text for item in agenda.find_elements(By.CSS_SELECTOR, ".agenda-title")]
    assert titles == [
        "Home visit with Jordan to review the plan goals",
        "Phone check-in",
        "Dentist",
    ]
    assert (
        "Google" in agenda.find_element(By.CSS_SELECTOR, "[data-agenda-event-id]:last-child").text
    )
    assert_fits(driver, "day view")
    screenshot(driver, "phone-day")

    def go(label: str, day) -> None:
        driver.find_element(By.CSS_SELECTOR, f'.week-nav [aria-label="{label}"]').click()
        wait_for(
            driver, lambda d: d.find_element(By.CLASS_NAME, "week-title").text == format_day(day)
        )
        assert f"date={day.isoformat()}" in driver.current_url

    go("Next day", today + timedelta(days=1))
    assert "Provider meeting" in driver.find_element(By.CSS_SELECTOR, ".agenda").text
    go("Previous day", today)
    go("Previous day", today - timedelta(days=1))
    assert "Nothing booked this day" in driver.find_element(By.CSS_SELECTOR, ".agenda").text
    driver.find_element(By.LINK_TEXT, "Today").click()
    wait_for(
        driver, lambda d: d.find_element(By.CLASS_NAME, "week-title").text == format_day(today)
    )

    # Three days: today and the next two, moving three at a time.
    driver.find_element(By.LINK_TEXT, "3 days").click()
    wait_for(driver, lambda d: "view=3day" in d.current_url)
    days = driver.find_elements(By.CSS_SELECTOR, ".agenda-day")
    assert [day.text for day in days][:2] == [
        format_day(today).rsplit(" ", 1)[0],
        format_day(today + timedelta(days=1)).rsplit(" ", 1)[0],
    ]
    assert_fits(driver, "three days")


def test_the_event_dialog_fits_and_save_stays_in_reach(driver, live_server, busy_day):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows

    user = busy_day[0]
    on_a_phone(driver)
    log_in(driver, live_server, user.email)
    wait_for(driver, lambda d: "view=day" in d.current_url)
    wait_for(driver, shows.element_to_be_clickable((By.CSS_SELECTOR, ".new-event"))).click()
    dialog = wait_for(
        driver, shows.visibility_of_element_located((By.CSS_SELECTOR, "#modal .modal"))
    )
    assert_fits(driver, "event dialog")
    screenshot(driver, "phone-event-form")
    save = dialog.find_element(By.CSS_SELECTOR, "button[type=submit]")
    # The dialog scrolls inside itself; wherever it is scrolled, Save is on the screen.
    for where in ("0", "arguments[0].scrollHeight / 2", "arguments[0].scrollHeight"):
        driver.execute_script(f"arguments[0].scrollTop = {where}", dialog)
        top, bottom, height = driver.execute_script(
            "const b = arguments[0].getBoundingClientRect();"
            " return [b.top, b.bottom, window.innerHeight]",
            save,
        )
        assert top >= 0 and bottom <= height, (where, top, bottom, height)
    dialog.find_element(By.NAME, "title").send_keys("Case conference at the school")
    save.click()
    wait_for(driver, lambda d: d.find_element(By.ID, "modal").text == "")
    # The new event starts at the next whole hour: late in the evening that is tomorrow, and
    # the calendar then moves to it (the next test).
    wait_for(
        driver,
        lambda d: (
            "Case conference at the school" in d.find_element(By.CSS_SELECTOR, ".agenda").text
        ),
    )


def test_an_event_saved_on_a_day_not_shown_brings_that_day_into_view(driver, live_server, busy_day):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows

    on_a_phone(driver)
    log_in(driver, live_server, busy_day[0].email)
    wait_for(driver, lambda d: "view=day" in d.current_url)
    wait_for(driver, shows.element_to_be_clickable((By.CSS_SELECTOR, ".new-event"))).click()
    dialog = wait_for(
        driver, shows.visibility_of_element_located((By.CSS_SELECTOR, "#modal .modal"))
    )
    later = today_in(ZONE) + timedelta(days=3)
    for name, hour in (("start", "10:00"), ("end", "11:00")):
        field = dialog.find_element(By.NAME, name)
        driver.execute_script("arguments[0].value = arguments[1]", field, f"{later}T{hour}")
    dialog.find_element(By.NAME, "title").send_keys("Plan review at the office")
    dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda d: d.find_element(By.ID, "modal").text == "")
    wait_for(
        driver,
        lambda d: "Plan review at the office" in d.find_element(By.CSS_SELECTOR, ".agenda").text,
    )
    assert f"date={later.isoformat()}" in driver.current_url
