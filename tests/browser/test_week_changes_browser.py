"""In a real browser: a change that arrives while the week is open is said in a live region."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import utcnow
from tests import factories
from tests.browser.conftest import log_in, wait_for

pytestmark = pytest.mark.browser

WEEK = "2026-10-05"  # Monday 5 – Sunday 11 October 2026
MONDAY_10AM_SYDNEY = datetime.fromisoformat("2026-10-04T23:00+00:00")


def test_a_moved_and_a_deleted_event_are_announced_politely(
    driver,
    live_server,
):
    from selenium.webdriver.common.by import By

    user = factories.make_user(time_zone="Australia/Sydney")
    meeting = factories.make_event(user, "Team meeting", start=MONDAY_10AM_SYDNEY)
    visit = factories.make_event(user, "Home visit", start=MONDAY_10AM_SYDNEY + timedelta(days=1))
    db.session.commit()
    log_in(driver, live_server, user.email)
    driver.get(f"{live_server}/calendar?week={WEEK}")
    status = driver.find_element(By.ID, "week-changes")
    assert status.get_attribute("aria-live") == "polite" and status.text == ""

    # As a pull from Google would: the meeting moves an hour, the visit is deleted in Google.
    meeting.start_at += timedelta(hours=1)
    meeting.end_at += timedelta(hours=1)
    meeting.version += 1
    visit.deleted_at, visit.deleted_by, visit.version = utcnow(), "google", visit.version + 1
    db.session.commit()

    expected = "Calendar updated: “Team meeting” moved; 1 event deleted in Google."
    wait_for(driver, lambda d: d.find_element(By.ID, "week-changes").text == expected)
    titles = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".wk-event .wk-event-title")]
    assert titles == ["Team meeting"]
