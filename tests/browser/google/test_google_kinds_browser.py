"""An invitation from Google in a real browser: shown as one, answered in the portal, and the
answer reaching Google (the emulator, over HTTP)."""

from __future__ import annotations

import pytest

from portal.calendar.layout import monday_of
from portal.calendar.timeutil import to_local
from tests.browser.conftest import log_in, screenshot, wait_for
from tests.google.conftest import GOOGLE_USER
from tests.google.sync_support import SOON, timed
from tests.support.worker import run_jobs

pytestmark = pytest.mark.browser


def own_answer(google, event_id: str) -> str:
    """The coordinator's responseStatus on Google's copy of an invitation."""
    item = google.state.get_event(GOOGLE_USER, event_id)
    return next(p["responseStatus"] for p in item["attendees"] if p.get("self"))


def test_an_invitation_is_answered_in_the_browser_and_google_hears_it(
    live_portal, connected, coordinator, google, driver, app
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows

    app.config["WTF_CSRF_ENABLED"] = True
    body = {
        "summary": "Plan review with Sunrise Supports",
        "description": "<b>Agenda</b><ul><li>Goals</li><li>Budget</li></ul>",
        "organizer": {"email": "sam@sunrise.example", "displayName": "Sam from Sunrise"},
        "conferenceData": {
            "createRequest": {
                "requestId": "browser-test",
                "conferenceSolutionKey": {"type": "hangoutsMeet"},
            }
        },
        **timed(SOON),
    }
    invitation = google.state.invite(GOOGLE_USER, body)
    google.state.wait_notifications()
    run_jobs()

    log_in(driver, live_portal, coordinator.email)
    week = monday_of(to_local(SOON, coordinator.time_zone).date().isoformat(), SOON.date())
    driver.get(f"{live_portal}/calendar?week={week.isoformat()}")
    card = wait_for(
        driver, shows.element_to_be_clickable((By.CSS_SELECTOR, ".wk-event.google-invitation"))
    )
    assert "Invitation" in card.text
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", card)
    card.click()
    dialog = wait_for(
        driver, shows.visibility_of_element_located((By.CSS_SELECTOR, ".google-event"))
    )
    assert "Sam from Sunrise" in dialog.text and "Not answered yet" in dialog.text
    assert dialog.find_elements(By.CSS_SELECTOR, ".description li")[1].text == "Budget"
    assert not dialog.find_elements(By.NAME, "title")
    screenshot(driver, "calendar-invitation")

    dialog.find_element(By.CSS_SELECTOR, "button[value=accepted]").click()
    wait_for(driver, lambda d: d.find_element(By.ID, "modal").text == "")
    agenda = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".agenda"))
    wait_for(driver, lambda d: "Going" in agenda.text)
    run_jobs()
    assert own_answer(google, invitation["id"]) == "accepted"
