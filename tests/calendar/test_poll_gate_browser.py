"""In a real browser: the week's poller is answered in front of Flask, takes a fresh ticket
without reloading the week, and asks nothing while its tab is hidden."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import utcnow
from tests import factories
from tests.browser.conftest import config_overrides, driver, live_server, log_in, wait_for  # noqa: F401

pytestmark = pytest.mark.browser

POLLS = """return performance.getEntriesByType('resource')
  .filter(e => e.name.includes('/calendar/fingerprint'))
  .map(e => [e.name, e.responseStatus]);"""
# The page's own script reads document.visibilityState; this is what a hidden tab shows it.
SET_VISIBILITY = """Object.defineProperty(document, 'visibilityState',
  {value: arguments[0], configurable: true});
document.dispatchEvent(new Event('visibilitychange'));"""


def poller_url(browser) -> str:
    return browser.execute_script(
        "return document.getElementById('week-poller').getAttribute('hx-get')"
    )


def test_the_poller_takes_a_fresh_ticket_in_place_and_rests_while_hidden(driver, live_server):  # noqa: F811
    user = factories.make_user()
    db.session.commit()
    log_in(driver, live_server, user.email)
    driver.get(f"{live_server}/calendar")
    wait_for(driver, lambda d: any(status == 204 for _, status in d.execute_script(POLLS)))
    driver.execute_script("document.getElementById('week').dataset.kept = 'yes'")
    first = poller_url(driver)

    # A change in another week moves the mark: the poller comes back with a new ticket, and
    # the week region itself is not reloaded.
    factories.make_event(user, "Far away", utcnow() + timedelta(days=21))
    db.session.commit()
    wait_for(driver, lambda d: poller_url(d) != first)
    fresh = poller_url(driver)
    wait_for(
        driver,
        lambda d: any(
            fresh.split("poll=")[1] in n and s == 204 for n, s in d.execute_script(POLLS)
        ),
    )
    assert driver.execute_script("return document.getElementById('week').dataset.kept") == "yes"

    driver.execute_script(SET_VISIBILITY, "hidden")
    time.sleep(1.5)  # a poll already on its way may still land
    hidden = len(driver.execute_script(POLLS))
    time.sleep(3)
    assert len(driver.execute_script(POLLS)) == hidden

    driver.execute_script(SET_VISIBILITY, "visible")
    wait_for(driver, lambda d: len(d.execute_script(POLLS)) > hidden, timeout=5)
