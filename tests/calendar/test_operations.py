"""Event operations: every change is versioned, timestamped and queued for Google."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from portal.calendar.operations import EventData, create_event, delete_event, update_event
from portal.extensions import db
from portal.models import Event
from tests import factories

NINE_AM_SYDNEY = datetime(2026, 10, 4, 22, tzinfo=UTC)
TEN_AM_SYDNEY = datetime(2026, 10, 4, 23, tzinfo=UTC)
VISIT = EventData(
    title="Home visit with Jordan",
    event_type="visit",
    time_zone="Australia/Sydney",
    start_at=NINE_AM_SYDNEY,
    end_at=TEN_AM_SYDNEY,
    location="12 Example St, Parramatta",
    internal_notes="Bring the service agreement",
)


@pytest.fixture
def owner(app):
    return factories.make_user()


@pytest.fixture
def queued(monkeypatch) -> list[tuple[int, int]]:
    """(event id, version) of each change handed to the outbox, seen at the moment it was."""
    seen: list[tuple[int, int]] = []
    monkeypatch.setattr(
        "portal.calendar.operations.record_change",
        lambda event: seen.append((event.id, event.version)),
    )
    return seen


def test_create_event_stores_the_event_for_its_owner_at_version_one(owner):
    event = create_event(owner, VISIT)
    db.session.commit()
    stored = db.session.get(Event, event.id)
    assert (stored.owner_id, stored.business_id) == (owner.id, owner.business_id)
    assert (stored.start_at, stored.end_at) == (NINE_AM_SYDNEY, TEN_AM_SYDNEY)
    assert stored.version == 1 and stored.origin == "portal" and not stored.all_day
    assert stored.internal_notes == "Bring the service agreement"
    assert stored.updated_at is not None


def test_every_change_is_handed_to_the_outbox_after_flushing_with_its_new_version(owner, queued):
    event = create_event(owner, VISIT)
    update_event(event, replace(VISIT, title="Home visit (moved)"))
    delete_event(event)
    assert event.id is not None
    assert queued == [(event.id, 1), (event.id, 2), (event.id, 3)]


def test_update_event_bumps_the_version_and_moves_updated_at(owner):
    event = create_event(owner, VISIT)
    before = event.updated_at
    update_event(event, replace(VISIT, title="Plan review"))
    assert event.version == 2 and event.title == "Plan review"
    assert event.updated_at >= before


def test_cancelling_records_when_and_why_and_keeps_the_first_cancellation_time(owner):
    event = create_event(owner, VISIT)
    cancelled = replace(VISIT, status="cancelled", cancel_reason="Participant unwell")
    update_event(event, cancelled)
    first = event.cancelled_at
    assert first is not None and event.cancel_reason == "Participant unwell"
    update_event(event, replace(cancelled, notes="Rebook next week"))
    assert event.cancelled_at == first
    update_event(event, VISIT)
    assert event.status == "scheduled" and event.cancelled_at is None and event.cancel_reason == ""


def test_switching_to_all_day_keeps_only_the_dates(owner):
    event = create_event(owner, VISIT)
    all_day = replace(
        VISIT, all_day=True, start_at=None, end_at=None,
        start_date=date(2026, 10, 5), end_date=date(2026, 10, 6),
    )  # fmt: skip
    update_event(event, all_day)
    assert (event.start_at, event.end_at) == (None, None)
    assert (event.start_date, event.end_date) == (date(2026, 10, 5), date(2026, 10, 6))


def test_delete_event_leaves_a_tombstone_not_a_gap(owner):
    event = create_event(owner, VISIT)
    delete_event(event)
    db.session.commit()
    stored = db.session.get(Event, event.id)
    assert stored.is_deleted and stored.deleted_by == "portal" and stored.version == 2
    assert db.session.scalar(select(func.count()).select_from(Event)) == 1


@pytest.mark.parametrize(
    "bad",
    [
        replace(VISIT, title="  "),
        replace(VISIT, end_at=NINE_AM_SYDNEY),
        replace(VISIT, time_zone="Mars/Olympus_Mons"),
        replace(VISIT, event_type="party"),
        replace(VISIT, all_day=True, start_date=date(2026, 10, 5), end_date=date(2026, 10, 5)),
    ],
)
def test_operations_refuse_data_no_form_would_let_through(owner, bad):
    with pytest.raises(ValueError):
        create_event(owner, bad)


def test_an_event_cannot_be_linked_to_another_business_participant(owner, other_business_user):
    theirs = factories.make_participant(other_business_user.business_id)
    with pytest.raises(ValueError):
        create_event(owner, replace(VISIT, participant_id=theirs.id))
    ours = factories.make_participant(owner.business_id)
    assert create_event(owner, replace(VISIT, participant_id=ours.id)).participant_id == ours.id
