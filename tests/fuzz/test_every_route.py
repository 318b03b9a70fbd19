"""Every form-handling POST route, own ids, junk bodies: never a 5xx, a refusal saves nothing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from portal.calendar.forms import EventForm
from portal.participants.forms import ParticipantForm
from tests.fuzz.conftest import FUZZ, assert_clean_answer, row_counts
from tests.fuzz.strategies import form_data
from tests.fuzz.test_csrf import ROUTES

# Logging out would end the session the other examples need.
SIGNED_IN_ROUTES = [route for route in ROUTES if route != "/logout"]


@FUZZ
@given(
    route=st.sampled_from(SIGNED_IN_ROUTES),
    form=st.one_of(form_data(EventForm), form_data(ParticipantForm)),
    htmx=st.booleans(),
)
def test_any_post_to_any_route_answers_cleanly(client, own_rows, route, form, htmx):
    before = row_counts()
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(route.format(**own_rows), data=form, headers=headers)
    assert_clean_answer(response, before)
