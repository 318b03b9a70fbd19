"""Whatever anyone posts to a portal form: a clean answer, never a 5xx, never a half-save."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from portal.auth.forms import LoginForm, SignupForm
from portal.calendar.forms import EventForm
from portal.participants.forms import ParticipantForm
from tests import factories
from tests.fuzz.conftest import FUZZ, assert_clean_answer, row_counts
from tests.fuzz.strategies import form_data, text_values

HTMX = {"HX-Request": "true"}
ADDRESSES = itertools.count()
SIGN_UP = {
    "business_name": "Bright Path",
    "name": "Casey",
    "email": "casey@example.com",
    "password": "long enough password",
    "confirm": "long enough password",
    "time_zone": "Australia/Perth",
}
LOG_IN = {"email": "known@example.com", "password": factories.PASSWORD}
PARTICIPANT = {"name": "Jordan Lee", "ndis_number": "430123456", "plan_start": "2026-01-01"}
EVENT = {
    "title": "Home visit",
    "event_type": "visit",
    "start": "2026-10-05T09:00",
    "end": "2026-10-05T10:00",
    "start_date": "2026-10-05",
    "end_date": "2026-10-05",
    "time_zone": "Australia/Sydney",
    "status": "scheduled",
}


@FUZZ
@given(form=form_data(SignupForm, SIGN_UP))
def test_sign_up_answers_cleanly(app, client, form):
    if form.get("email") == SIGN_UP["email"]:
        # A fresh address each time, or every example after the first stops at "email taken".
        form = {**form, "email": f"casey{next(ADDRESSES)}@example.com"}
    before = row_counts()
    assert_clean_answer(client.post("/signup", data=form), before)


@FUZZ
@given(form=form_data(LoginForm, LOG_IN), next_page=text_values())
def test_log_in_answers_cleanly_and_never_redirects_off_site(app, client, form, next_page):
    factories.make_user(email="known@example.com")
    before = row_counts()
    response = client.post("/login", data=form, query_string={"next": next_page})
    assert_clean_answer(response, before)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/")
        assert not response.headers["Location"].startswith("//")


@FUZZ
@given(form=form_data(ParticipantForm, PARTICIPANT))
def test_adding_a_participant_answers_cleanly(client, coordinator, form):
    before = row_counts()
    assert_clean_answer(client.post("/participants/new", data=form), before)


@FUZZ
@given(form=form_data(ParticipantForm, PARTICIPANT))
def test_changing_a_participant_answers_cleanly(client, coordinator, form):
    participant = factories.make_participant(coordinator.business_id)
    before = row_counts()
    response = client.post(f"/participants/{participant.id}/edit", data=form)
    assert_clean_answer(response, before)


@FUZZ
@given(form=form_data(EventForm, EVENT), htmx=st.booleans())
def test_creating_an_event_answers_cleanly(client, coordinator, form, htmx):
    before = row_counts()
    response = client.post("/calendar/events", data=form, headers=HTMX if htmx else {})
    assert_clean_answer(response, before)


@FUZZ
@given(form=form_data(EventForm, EVENT), htmx=st.booleans())
def test_changing_an_event_answers_cleanly(client, coordinator, form, htmx):
    event = factories.make_event(coordinator)
    before = row_counts()
    response = client.post(f"/calendar/events/{event.id}", data=form, headers=HTMX if htmx else {})
    assert_clean_answer(response, before)
