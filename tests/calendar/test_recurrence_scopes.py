"""Repeating events through the routes: editing and deleting this one, the following or all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Event, GoogleConnection, OutboxEntry
from tests import factories
from tests.calendar.pages import HTMX, field_errors, items_for, saved_day
from tests.calendar.recurrence_support import (
    MONDAY_NINE,
    WEEK,
    WEEKLY,
    events,
    occurrence_url,
    series_form,
    weekly,
)

# Editing one occurrence


def test_the_occurrence_form_shows_that_occurrence_and_asks_what_to_change(client, coordinator):
    master = weekly(coordinator, recurrence=WEEKLY + ";COUNT=10")
    page = client.get(
        occurrence_url(master, MONDAY_NINE + timedelta(weeks=2), "/edit"), headers=HTMX
    ).text
    assert 'value="2026-10-19T09:00"' in page and "This and following events" in page
    assert 'name="scope" type="radio" value="this"' in page
    assert '<option selected value="weekly">' in page and 'value="10"' in page
    assert f'hx-post="{occurrence_url(master, MONDAY_NINE + timedelta(weeks=2))}"' in page


def test_a_single_event_form_asks_no_scope(client, coordinator):
    single = factories.make_event(coordinator, "Visit", MONDAY_NINE)
    db.session.commit()
    page = client.get(f"/calendar/events/{single.id}/edit", headers=HTMX).text
    assert 'name="scope"' not in page and 'name="repeat"' in page


def test_saving_this_event_moves_only_that_occurrence(client, coordinator):
    master = weekly(coordinator)
    second = MONDAY_NINE + timedelta(weeks=1)
    form = series_form(
        scope="this",
        title="Moved",
        start="2026-10-13T11:00",
        end="2026-10-13T12:00",
        repeat="garbage",
    )
    response = client.post(occurrence_url(master, second), data=form, headers=HTMX)
    assert response.status_code == 200 and saved_day(response)
    master_row, exception = events()
    assert master_row.recurrence == WEEKLY and master_row.version == 1
    assert (exception.series_id, exception.original_start_at) == (master.id, second)
    assert exception.start_at == datetime(2026, 10, 13, 0, tzinfo=UTC)
    # The moved occurrence is edited in turn through its own occurrence address.
    page = client.get("/calendar?week=2026-10-12").text
    [block] = items_for(page, exception.id)
    assert block["hx-get"] == occurrence_url(master, second, "/edit")
    again = client.post(
        occurrence_url(master, second), data={**form, "title": "Again"}, headers=HTMX
    )
    assert again.status_code == 200 and len(events()) == 2 and events()[1].title == "Again"


def test_saving_this_and_following_splits_the_series(client, coordinator):
    master = weekly(coordinator, recurrence=WEEKLY + ";COUNT=6")
    third = MONDAY_NINE + timedelta(weeks=2)
    form = series_form(
        scope="following", start="2026-10-19T14:00", end="2026-10-19T15:00", ends="count", count="6"
    )
    assert client.post(occurrence_url(master, third), data=form, headers=HTMX).status_code == 200
    old, new = events()
    assert old.recurrence == "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261018T215959Z"
    assert new.recurrence == "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    assert new.start_at == datetime(2026, 10, 19, 3, tzinfo=UTC)


def test_saving_all_events_shifts_the_series_from_its_own_start(client, coordinator):
    master = weekly(coordinator)
    form = series_form(
        scope="all", title="Check-in at ten", start="2026-10-19T10:00", end="2026-10-19T11:00"
    )
    url = occurrence_url(master, MONDAY_NINE + timedelta(weeks=2))
    assert client.post(url, data=form, headers=HTMX).status_code == 200
    [row] = events()
    assert row.start_at == MONDAY_NINE + timedelta(hours=1) and row.title == "Check-in at ten"
    assert row.recurrence == WEEKLY


def test_renaming_all_from_a_moved_occurrence_leaves_the_series_times(client, coordinator):
    master = weekly(coordinator)
    second = MONDAY_NINE + timedelta(weeks=1)
    moved = factories.make_event(
        coordinator,
        "Check-in",
        second + timedelta(days=1, hours=5),
        series_id=master.id,
        original_start_at=second,
    )
    db.session.commit()
    page = client.get(f"/calendar/events/{moved.id}/edit", headers=HTMX).text
    assert 'value="2026-10-13T14:00"' in page and 'name="scope"' in page
    form = series_form(
        scope="all", title="Renamed", start="2026-10-13T14:00", end="2026-10-13T15:00"
    )
    assert client.post(f"/calendar/events/{moved.id}", data=form, headers=HTMX).status_code == 200
    master_row, moved_row = events()
    assert (master_row.title, master_row.start_at) == ("Renamed", MONDAY_NINE)
    assert moved_row.start_at == second + timedelta(days=1, hours=5)


def test_moving_all_events_off_their_days_is_refused_with_nothing_saved(client, coordinator):
    master = weekly(coordinator, recurrence="RRULE:FREQ=WEEKLY;BYDAY=MO,TH")
    thursday = MONDAY_NINE + timedelta(days=3)
    # Thursday's occurrence moved to Friday, still "Mondays and Fridays": the series would
    # then start on a Tuesday, which is not one of its days.
    form = series_form(
        scope="all", weekdays=["MO", "FR"], start="2026-10-09T09:00", end="2026-10-09T10:00"
    )
    response = client.post(occurrence_url(master, thursday), data=form, headers=HTMX)
    assert response.status_code == 400 and "repeat" in field_errors(response.text)
    [row] = events()
    assert row.recurrence == "RRULE:FREQ=WEEKLY;BYDAY=MO,TH" and row.version == 1


def test_a_used_up_count_when_splitting_is_refused_beside_the_count(client, coordinator):
    master = weekly(coordinator, recurrence=WEEKLY + ";COUNT=6")
    form = series_form(
        scope="following", start="2026-10-19T09:00", end="2026-10-19T10:00", ends="count", count="2"
    )
    response = client.post(
        occurrence_url(master, MONDAY_NINE + timedelta(weeks=2)), data=form, headers=HTMX
    )
    assert response.status_code == 400
    assert "already has 2 occurrences" in field_errors(response.text)["count"][0]
    assert [e.recurrence for e in events()] == [WEEKLY + ";COUNT=6"]


def test_a_custom_rule_from_google_is_kept_when_editing_all(client, coordinator):
    rule = "RRULE:FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=5"
    master = weekly(coordinator, recurrence=rule)
    page = client.get(occurrence_url(master, MONDAY_NINE, "/edit"), headers=HTMX).text
    assert '<option selected value="custom">' in page
    form = series_form(scope="all", repeat="custom", title="Renamed")
    assert (
        client.post(occurrence_url(master, MONDAY_NINE), data=form, headers=HTMX).status_code == 200
    )
    [row] = events()
    assert row.recurrence == rule and row.title == "Renamed"


# Deleting by scope


@pytest.mark.parametrize(
    ("scope", "left"),
    [
        ("this", ["2026-10-05", "2026-10-07"]),
        ("following", ["2026-10-05"]),
        ("all", []),
        (None, ["2026-10-05", "2026-10-07"]),  # no choice sent: this event, as Google
    ],
)
def test_deleting_by_scope(client, coordinator, scope, left):
    master = weekly(coordinator, recurrence="RRULE:FREQ=DAILY;COUNT=3")
    data = {"scope": scope} if scope else {}
    url = occurrence_url(master, MONDAY_NINE + timedelta(days=1), "/delete")
    response = client.post(url, data=data, headers=HTMX)
    assert response.status_code == 200 and saved_day(response)
    assert [p["data-day"] for p in items_for(client.get(WEEK).text, master.id)] == left


def test_a_cancelled_occurrence_is_no_longer_found(client, coordinator):
    master = weekly(coordinator)
    client.post(occurrence_url(master, MONDAY_NINE, "/delete"), headers=HTMX)
    assert client.get(occurrence_url(master, MONDAY_NINE, "/edit")).status_code == 404


def test_deleting_a_series_from_its_own_form_deletes_every_occurrence(client, coordinator):
    master = weekly(coordinator)
    page = client.get(f"/calendar/events/{master.id}/edit", headers=HTMX).text
    assert "Delete series" in page and "Edit series" in page
    assert client.post(f"/calendar/events/{master.id}/delete", headers=HTMX).status_code == 200
    assert items_for(client.get(WEEK).text, master.id) == []


# Google hears of it


def test_route_changes_to_a_series_are_queued_for_google(client, coordinator):
    db.session.add(
        GoogleConnection(
            user_id=coordinator.id, business_id=coordinator.business_id, state="connected"
        )
    )
    db.session.commit()
    assert client.post("/calendar/events", data=series_form(), headers=HTMX).status_code == 200
    [master] = events()
    second = MONDAY_NINE + timedelta(weeks=1)
    client.post(occurrence_url(master, second, "/delete"), data={"scope": "this"}, headers=HTMX)
    queued = db.session.scalars(select(OutboxEntry.event_id)).all()
    cancelled = events()[1]
    assert master.id in queued and cancelled.id in queued and cancelled.is_deleted


# Addresses: tenancy, unknown occurrences, logins


@pytest.mark.parametrize(
    ("method", "action"), [("get", "/edit"), ("post", ""), ("post", "/delete")]
)
def test_another_businesss_series_is_not_found(
    client, coordinator, other_business_user, method, action
):
    theirs = weekly(other_business_user, "Their check-in")
    url = occurrence_url(theirs, MONDAY_NINE, action)
    response = getattr(client, method)(url, data=series_form(scope="all"), headers=HTMX)
    assert response.status_code == 404
    [row] = events()
    assert row.version == 1 and row.deleted_at is None


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("20261005T220000Z", 400),  # a Tuesday at 9:00: not an occurrence of a Monday series
        ("20261004T230000Z", 400),  # the right day at the wrong time
        ("20261005", 400),  # an all-day key for a timed series
        ("garbage", 400),
        ("99991231T000000Z", 400),
    ],
)
def test_an_occurrence_the_series_does_not_have_is_a_400(client, coordinator, key, status):
    master = weekly(coordinator)
    for method, action in [("get", "/edit"), ("post", ""), ("post", "/delete")]:
        url = f"/calendar/events/{master.id}/occurrences/{key}{action}"
        assert getattr(client, method)(url, data=series_form()).status_code == status
    assert len(events()) == 1


def test_a_single_event_has_no_occurrences(client, coordinator):
    single = factories.make_event(coordinator, "Visit", MONDAY_NINE)
    db.session.commit()
    assert client.get(occurrence_url(single, MONDAY_NINE, "/edit")).status_code == 404


def test_a_bad_scope_is_refused(client, coordinator):
    master = weekly(coordinator)
    delete = client.post(occurrence_url(master, MONDAY_NINE, "/delete"), data={"scope": "x"})
    save = client.post(occurrence_url(master, MONDAY_NINE), data=series_form(scope="x"))
    assert delete.status_code == 400 and save.status_code == 400
    assert "scope" in field_errors(save.text)
    assert db.session.scalar(select(func.count()).select_from(Event)) == 1


@pytest.mark.parametrize(
    ("method", "action"), [("get", "/edit"), ("post", ""), ("post", "/delete")]
)
def test_occurrence_routes_need_a_login(client, app, method, action):
    response = getattr(client, method)(f"/calendar/events/1/occurrences/20261004T220000Z{action}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
