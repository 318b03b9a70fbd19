"""With CSRF protection on (as in production), a post without a valid token changes nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.calendar.forms import EventForm
from tests.fuzz.conftest import FUZZ, row_counts
from tests.fuzz.strategies import form_data, text_values

# Every form-handling POST route; the webhook is exempt on purpose (Google sends no token).
ROUTES = [
    "/signup",
    "/login",
    "/logout",
    "/forgot-password",
    "/reset-password/not-a-real-link",
    "/calendar/events",
    "/calendar/events/{event}",
    "/calendar/events/{event}/delete",
    "/calendar/events/{event}/occurrences/20261005T090000",
    "/calendar/events/{event}/occurrences/20261005T090000/delete",
    "/calendar/events/{event}/answer",
    "/participants/new",
    "/participants/{participant}/edit",
    "/participants/{participant}/archive",
    "/participants/{participant}/restore",
    "/settings",
    "/settings/password",
    "/team/invites",
    "/team/invites/1/revoke",
    "/team/members/1/admin",
    "/team/members/1/deactivate",
    "/team/integrations/1/remind",
    "/join/not-a-real-link",
    "/portal/integrations/google/sync",
    "/portal/integrations/google/conflicts/{log}/reviewed",
    "/google/connect",
    "/google/calendar",
    "/google/privacy",
    "/google/disconnect",
    "/help/check",
]


def test_every_post_route_of_the_app_is_in_the_list(app):
    """A new form route without its CSRF check here fails this test."""
    listed = [re.sub(r"\{\w+\}", "1", route) for route in ROUTES]
    adapter = app.url_map.bind("localhost")
    reached = {adapter.match(route, method="POST")[0] for route in listed}
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posts - reached == set()


@pytest.fixture
def config_overrides(config_overrides: dict) -> dict:
    """The test suite turns CSRF off elsewhere; here it is on, as in production."""
    return {**config_overrides, "WTF_CSRF_ENABLED": True}


@FUZZ
@given(
    route=st.sampled_from(ROUTES),
    form=form_data(EventForm),
    token=st.one_of(st.none(), text_values()),
    header=st.booleans(),
)
def test_a_post_without_a_valid_token_is_refused_and_changes_nothing(
    client, own_rows, route, form, token, header
):
    data = dict(form)
    headers = {}
    if token is not None:
        if header:
            # A header cannot carry line breaks or non-Latin-1 text; the client refuses it.
            headers["X-CSRFToken"] = token.encode("latin-1", "ignore").decode("latin-1")
            headers["X-CSRFToken"] = headers["X-CSRFToken"].replace("\r", "").replace("\n", "")
        else:
            data["csrf_token"] = token
    before = row_counts()
    response = client.post(route.format(**own_rows), data=data, headers=headers)
    assert response.status_code == 400, route
    assert row_counts() == before
