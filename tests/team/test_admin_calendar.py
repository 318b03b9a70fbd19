"""An admin chooses a coordinator from the week view, sees their calendar, and the live poll
follows that coordinator's calendar (answered in front of Flask while it stands)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from flask import request_started

from portal.calendar import poll_gate
from portal.extensions import db
from tests import factories
from tests.team.conftest import Team, log_in

HTMX = {"HX-Request": "true"}
WEEK = "2026-10-05"
MONDAY_9AM_SYDNEY = datetime(2026, 10, 4, 22, tzinfo=UTC)


def poller_url(region: str) -> str:
    return html.unescape(re.search(r'id="week-poller"[^>]*hx-get="([^"]+)"', region).group(1))


def test_the_picker_lists_the_team_for_an_admin_only(app, team: Team):
    page = log_in(app, team.admin).get(f"/calendar?week={WEEK}").text
    assert 'name="coordinator"' in page
    for member in (team.coordinator, team.colleague):
        assert f'value="{member.id}"' in page and member.name in page
    assert team.outsider.name not in page
    assert 'name="coordinator"' not in log_in(app, team.coordinator).get("/calendar").text


def test_an_admin_sees_the_chosen_coordinators_week_and_links_stay_on_it(app, team: Team):
    factories.make_event(team.colleague, "Robin visit", MONDAY_9AM_SYDNEY)
    factories.make_event(team.admin, "Admin own meeting", MONDAY_9AM_SYDNEY)
    db.session.commit()
    admin = log_in(app, team.admin)
    page = admin.get(f"/calendar?week={WEEK}&coordinator={team.colleague.id}").text
    assert "Robin visit" in page and "Admin own meeting" not in page
    assert "viewing and editing Robin Colleague" in page
    # New events, other weeks and the live poll all stay on Robin's calendar.
    new_links = re.findall(r'hx-get="(/calendar/events/new[^"]*)"', page)
    follows = f"coordinator={team.colleague.id}"
    assert new_links and all(follows in html.unescape(link) for link in new_links)
    assert f"coordinator={team.colleague.id}" in poller_url(page)
    own = admin.get(f"/calendar?week={WEEK}").text
    assert "Admin own meeting" in own and "Robin visit" not in own


def test_choosing_a_colleague_from_a_day_view_keeps_the_day(app, team: Team):
    page = log_in(app, team.admin).get("/calendar?view=day&date=2026-10-07").text
    picker = page[page.index('class="coordinator-picker"') :].split("</form>")[0]
    assert '<input type="hidden" name="view" value="day">' in picker
    assert '<input type="hidden" name="date" value="2026-10-07">' in picker


def test_the_poll_follows_the_viewed_coordinator(app, team: Team):
    admin = log_in(app, team.admin)
    region = admin.get(f"/calendar?week={WEEK}&coordinator={team.colleague.id}", headers=HTMX)
    url = poller_url(region.text)
    reached: list[int] = []

    def handled(_sender, **_extra):
        reached.append(1)

    request_started.connect(handled, app)
    try:
        assert admin.get(url, headers=HTMX).status_code == 204
        assert reached == [], "an unchanged poll is answered in front of Flask"
        # A change to the colleague's calendar (not the admin's) moves the mark the poll holds.
        factories.make_event(team.colleague, "Robin visit", MONDAY_9AM_SYDNEY)
        db.session.commit()
        changed = admin.get(url, headers=HTMX)
        assert changed.status_code == 200 and changed.headers["HX-Trigger"] == "calendarChanged"
        assert reached == [1]
    finally:
        request_started.disconnect(handled, app)


def test_a_ticket_for_one_coordinator_does_not_vouch_for_another(app, team: Team):
    admin = log_in(app, team.admin)
    region = admin.get(f"/calendar?week={WEEK}&coordinator={team.colleague.id}", headers=HTMX)
    url = poller_url(region.text)
    other = url.replace(f"coordinator={team.colleague.id}", f"coordinator={team.coordinator.id}")
    secret, identity = app.secret_key, team.admin.get_id()
    args = dict(re.findall(r"([a-z]+)=([^&]+)", other.partition("?")[2]))
    assert poll_gate.ticket_mark(secret, identity, args) is None
    # Flask answers it, for the coordinator asked for (an admin may), with a fresh ticket.
    assert admin.get(other, headers=HTMX).status_code in (200, 204)


def test_a_coordinator_polling_a_colleague_is_refused(app, team: Team):
    coordinator = log_in(app, team.coordinator)
    url = f"/calendar/fingerprint?week={WEEK}&coordinator={team.colleague.id}"
    assert coordinator.get(url, headers=HTMX).status_code == 404
