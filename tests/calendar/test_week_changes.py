"""What changed in the open week: a reload the poller caused says it in a polite live region.

The region carries what it shows (#week-shown); the page sends that with the reload, and the
answer carries #week-changes out of band with one short line.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from portal.calendar.week_changes import parse_token, summarise
from portal.extensions import db
from portal.models import utcnow
from tests import factories
from tests.calendar.pages import HTMX

WEEK = "2026-10-05"  # Monday 5 – Sunday 11 October 2026
MONDAY_9AM_SYDNEY = datetime(2026, 10, 4, 22, tzinfo=UTC)


def shown_token(page: str) -> str:
    match = re.search(r'id="week-shown" hidden data-shown="([^"]*)"', page)
    assert match, "the region says what it shows"
    return html.unescape(match.group(1))


def reload(client, token: str):
    return client.get("/calendar", query_string={"week": WEEK, "shown": token}, headers=HTMX)


def note_of(answer) -> str:
    match = re.search(r'<p id="week-changes"[^>]*hx-swap-oob="true">([^<]*)</p>', answer.text)
    return html.unescape(match.group(1)) if match else ""


def test_a_moved_and_a_deleted_event_are_said_in_one_line(client, coordinator):
    meeting = factories.make_event(coordinator, "Team meeting", start=MONDAY_9AM_SYDNEY)
    visit = factories.make_event(coordinator, "Home visit", start=MONDAY_9AM_SYDNEY)
    db.session.commit()
    token = shown_token(client.get(f"/calendar?week={WEEK}", headers=HTMX).text)

    meeting.start_at += timedelta(hours=2)
    meeting.end_at += timedelta(hours=2)
    meeting.version += 1
    visit.deleted_at, visit.deleted_by, visit.version = utcnow(), "google", visit.version + 1
    db.session.commit()

    answer = reload(client, token)
    assert answer.status_code == 200 and 'id="week"' in answer.text
    assert note_of(answer) == "Calendar updated: “Team meeting” moved; 1 event deleted in Google."


def test_added_and_renamed_events_are_said_too(client, coordinator):
    visit = factories.make_event(coordinator, "Home visit", start=MONDAY_9AM_SYDNEY)
    db.session.commit()
    token = shown_token(client.get(f"/calendar?week={WEEK}", headers=HTMX).text)
    visit.title, visit.version = "Home visit (moved inside)", visit.version + 1
    factories.make_event(coordinator, "Plan review", start=MONDAY_9AM_SYDNEY + timedelta(days=1))
    db.session.commit()

    note = note_of(reload(client, token))
    assert note == "Calendar updated: “Home visit (moved inside)” changed; “Plan review” added."


def test_a_reload_without_a_token_or_without_changes_says_nothing(client, coordinator):
    factories.make_event(coordinator, "Home visit", start=MONDAY_9AM_SYDNEY)
    db.session.commit()
    first = client.get(f"/calendar?week={WEEK}", headers=HTMX)
    assert 'id="week-changes"' not in first.text
    assert 'id="week-changes"' not in reload(client, shown_token(first.text)).text


def test_the_full_page_has_the_empty_live_region_outside_the_week(client, coordinator):
    page = client.get(f"/calendar?week={WEEK}").text
    region = page.index('id="week"')
    assert 0 < page.index('<p id="week-changes" class="week-changes" role="status"') < region


def test_another_coordinators_events_are_never_named(client, coordinator, other_business_user):
    theirs = factories.make_event(other_business_user, "Not yours", start=MONDAY_9AM_SYDNEY)
    db.session.commit()
    note = summarise(f"{theirs.id}:1:0", [], coordinator.id)
    assert note is None


def test_a_hand_made_token_is_read_without_failing(client, coordinator):
    assert parse_token("x,1:2,::,5:1:9,abc@k:2:d2026-10-05") == {
        "5": parse_token("5:1:9")["5"],
        "abc@k": parse_token("abc@k:2:d2026-10-05")["abc@k"],
    }
    answer = reload(client, "garbage,,:::," * 50)
    assert answer.status_code == 200
