"""The Google Calendar card's forms, posted with anything: a clean answer, never a half-save."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.integrations.forms import CalendarForm, DisconnectForm, PrivacyForm
from tests.fuzz.conftest import FUZZ, assert_clean_answer, row_counts
from tests.fuzz.strategies import form_data

HTMX = {"HX-Request": "true"}
CARD_FORMS = [
    ("/google/calendar", CalendarForm),
    ("/google/privacy", PrivacyForm),
    ("/google/disconnect", DisconnectForm),
    ("/google/connect", CalendarForm),  # no fields of its own: anything posted is junk
    ("/portal/integrations/google/sync", PrivacyForm),
]


# Each "Sign in with Google" leaves a state in the session cookie (see the fuzz report).
@pytest.mark.filterwarnings("ignore:The 'session' cookie is too large")
@pytest.mark.parametrize(("path", "form_class"), CARD_FORMS)
def test_card_forms_answer_cleanly_whatever_is_posted(client, connected, path, form_class):
    @FUZZ
    @given(form=form_data(form_class))
    def post_anything(form):
        before = row_counts()
        assert_clean_answer(client.post(path, data=form), before)
        assert_clean_answer(client.post(path, data=form, headers=HTMX), row_counts())

    post_anything()


@FUZZ
@given(form=form_data(CalendarForm), log_id=st.integers(0, 10**20))
def test_marking_a_conflict_reviewed_answers_cleanly(client, connected, form, log_id):
    before = row_counts()
    response = client.post(f"/portal/integrations/google/conflicts/{log_id}/reviewed", data=form)
    assert_clean_answer(response, before)
