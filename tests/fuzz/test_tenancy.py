"""Another business's ids, in any route and with any form: always a 404, and nothing changes."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.calendar.forms import EventForm
from portal.extensions import db
from portal.models import SyncLog
from portal.participants.forms import ParticipantForm
from tests import factories
from tests.fuzz.conftest import FUZZ, row_counts
from tests.fuzz.strategies import form_data, text_values

# (method, path) with {event}, {participant}, {log} and {key} to fill in.
ROUTES = [
    ("get", "/calendar/events/{event}/edit"),
    ("post", "/calendar/events/{event}"),
    ("post", "/calendar/events/{event}/delete"),
    ("post", "/calendar/events/{event}/occurrences/{key}"),
    ("post", "/calendar/events/{event}/occurrences/{key}/delete"),
    ("get", "/participants/{participant}/edit"),
    ("post", "/participants/{participant}/edit"),
    ("post", "/portal/integrations/google/conflicts/{log}/reviewed"),
]


@pytest.fixture
def foreign(app) -> dict:
    """Rows of another business: a participant, an event with them, a resolved conflict."""
    other = factories.make_user(business_name="Other Practice", email="other@example.org")
    participant = factories.make_participant(other.business_id, name="Not Yours")
    event = factories.make_event(other, title="Their visit", participant_id=participant.id)
    log = SyncLog(user_id=other.id, kind="conflict", message="theirs")
    db.session.add(log)
    db.session.commit()
    return {"event": event.id, "participant": participant.id, "log": log.id}


def snapshot(foreign: dict) -> tuple:
    """What a leak or a stray write would change in the other business."""
    from portal.models import Event, Participant

    db.session.expire_all()
    event = db.session.get(Event, foreign["event"])
    participant = db.session.get(Participant, foreign["participant"])
    log = db.session.get(SyncLog, foreign["log"])
    return (event.title, event.version, event.deleted_at, participant.name, log.reviewed)


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    form=st.one_of(form_data(EventForm), form_data(ParticipantForm)),
    key=text_values().filter(lambda k: k.strip() and "/" not in k),
)
def test_another_business_s_rows_are_a_404_whatever_is_sent(
    client, coordinator, foreign, route, form, key
):
    method, template = route
    path = template.format(key=quote(key, safe=""), **foreign)
    before, theirs = row_counts(), snapshot(foreign)
    response = client.get(path) if method == "get" else client.post(path, data=form)
    assert response.status_code == 404, path
    assert row_counts() == before
    assert snapshot(foreign) == theirs
    assert "Their visit" not in response.get_data(as_text=True)
    assert "Not Yours" not in response.get_data(as_text=True)
