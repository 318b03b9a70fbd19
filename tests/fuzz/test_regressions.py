"""The fuzzers' findings, pinned as plain examples (each was a 500 before its fix)."""

from __future__ import annotations

import pytest

from tests import factories
from tests.fuzz.conftest import assert_clean_answer, row_counts

SIGN_UP = {
    "business_name": "Bright Path",
    "name": "Casey",
    "email": "casey@example.com",
    "password": "long enough password",
    "confirm": "long enough password",
    "time_zone": "Australia/Perth",
}


@pytest.mark.parametrize("field", ["business_name", "name"])
def test_a_nul_in_a_sign_up_name_is_refused_with_a_400(app, client, field):
    before = row_counts()
    response = client.post("/signup", data={**SIGN_UP, field: "Bright\x00Path"})
    assert_clean_answer(response, before)
    assert response.status_code == 400


def test_a_nul_in_the_log_in_email_is_refused_with_a_400(app, client):
    factories.make_user(email="known@example.com")
    before = row_counts()
    response = client.post("/login", data={"email": "kn\x00own@example.com", "password": "x"})
    assert_clean_answer(response, before)
    assert response.status_code == 400


def test_an_unknown_weekday_on_a_one_off_event_is_not_a_500(client, coordinator):
    form = {
        "title": "Home visit",
        "event_type": "visit",
        "start": "2026-10-05T09:00",
        "end": "2026-10-05T10:00",
        "time_zone": "Australia/Sydney",
        "status": "scheduled",
        "weekdays": [""],
    }
    before = row_counts()
    assert_clean_answer(client.post("/calendar/events", data=form), before)


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/calendar/events/{}/edit"),
        ("post", "/calendar/events/{}"),
        ("post", "/calendar/events/{}/delete"),
        ("get", "/participants/{}/edit"),
        ("post", "/portal/integrations/google/conflicts/{}/reviewed"),
    ],
)
def test_an_id_beyond_the_database_s_integers_is_a_404(client, coordinator, method, path, huge):
    response = getattr(client, method)(path.format(huge))
    assert response.status_code == 404


@pytest.mark.parametrize("number", [str(2**31), str(2**63), "9" * 40, "-" + "9" * 40])
def test_a_huge_message_number_is_answered_200(client, number):
    headers = {
        "X-Goog-Channel-ID": "forged",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": number,
    }
    assert client.post("/google/notify", headers=headers).status_code == 200
