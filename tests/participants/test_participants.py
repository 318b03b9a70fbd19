"""Participants: listed, added and edited within one business only."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Participant
from portal.participants.operations import create_participant, update_participant
from tests import factories
from tests.calendar.pages import field_errors


def participant_form(**changes) -> dict[str, str]:
    form = {
        "name": "Jordan Lee",
        "ndis_number": "430123456",
        "plan_start": "2026-07-01",
        "plan_end": "2027-06-30",
    }
    form.update(changes)
    return form


def participant_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Participant))


def test_the_list_shows_only_the_practices_participants(client, coordinator, other_business_user):
    factories.make_participant(coordinator.business_id, name="Jordan Lee")
    factories.make_participant(other_business_user.business_id, name="Not Yours")
    db.session.commit()
    page = client.get("/participants").text
    assert "Jordan Lee" in page and "Not Yours" not in page


def test_an_empty_list_says_how_to_start(client, coordinator):
    assert "No participants yet" in client.get("/participants").text


def test_adding_a_participant_saves_it_to_the_practice(client, coordinator):
    response = client.post("/participants/new", data=participant_form())
    assert response.status_code == 302 and response.headers["Location"].endswith("/participants")
    saved = db.session.scalars(select(Participant)).one()
    assert saved.business_id == coordinator.business_id
    assert (saved.name, saved.ndis_number) == ("Jordan Lee", "430123456")
    assert (saved.plan_start, saved.plan_end) == (date(2026, 7, 1), date(2027, 6, 30))


def test_an_ndis_number_typed_with_spaces_keeps_its_digits(client, coordinator):
    client.post("/participants/new", data=participant_form(ndis_number=" 430 123 456 "))
    assert db.session.scalars(select(Participant)).one().ndis_number == "430123456"


def test_plan_dates_are_optional(client, coordinator):
    form = participant_form(plan_start="", plan_end="")
    assert client.post("/participants/new", data=form).status_code == 302
    assert db.session.scalars(select(Participant)).one().plan_start is None


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("name", {"name": ""}),
        ("name", {"name": "   "}),
        ("name", {"name": "x" * 121}),
        ("ndis_number", {"ndis_number": ""}),
        ("ndis_number", {"ndis_number": "43012345"}),
        ("ndis_number", {"ndis_number": "4301234567"}),
        ("ndis_number", {"ndis_number": "43012345a"}),
        ("ndis_number", {"ndis_number": "４３０１２３４５６"}),
        ("plan_end", {"plan_end": "2026-06-30"}),
        ("plan_start", {"plan_start": "2026-02-30"}),
        ("plan_end", {"plan_end": "garbage"}),
        ("plan_start", {"plan_start": "0001-01-01"}),
    ],
)
def test_bad_input_is_a_400_with_the_message_beside_the_field(client, coordinator, field, changes):
    response = client.post("/participants/new", data=participant_form(**changes))
    assert response.status_code == 400
    assert list(field_errors(response.text)) == [field]
    assert participant_count() == 0


def test_the_ndis_number_message_says_what_is_expected(client, coordinator):
    response = client.post("/participants/new", data=participant_form(ndis_number="123"))
    assert field_errors(response.text)["ndis_number"] == ["An NDIS number is exactly 9 digits."]


def test_editing_shows_the_participant_and_saves_changes(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id)
    db.session.commit()
    page = client.get(f"/participants/{jordan.id}/edit").text
    assert 'value="Jordan Lee"' in page and 'value="430123456"' in page
    form = participant_form(name="Jordan Lee-Smith", plan_end="2027-12-31")
    assert client.post(f"/participants/{jordan.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Participant, jordan.id).name == "Jordan Lee-Smith"


def test_a_bad_edit_changes_nothing(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id)
    db.session.commit()
    form = participant_form(name="Changed", ndis_number="12")
    assert client.post(f"/participants/{jordan.id}/edit", data=form).status_code == 400
    db.session.expire_all()
    assert db.session.get(Participant, jordan.id).name == "Jordan Lee"


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_businesss_participant_is_not_found(
    client, coordinator, other_business_user, method
):
    theirs = factories.make_participant(other_business_user.business_id, name="Not Yours")
    db.session.commit()
    response = getattr(client, method)(
        f"/participants/{theirs.id}/edit", data=participant_form(name="Hijacked")
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Participant, theirs.id).name == "Not Yours"


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/participants"), ("get", "/participants/new"), ("post", "/participants/new"),
     ("get", "/participants/1/edit"), ("post", "/participants/1/edit")],
)  # fmt: skip
def test_every_participant_route_needs_a_login(client, app, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_operations_keep_the_rules_outside_the_form_too(app, coordinator):
    with pytest.raises(ValueError):
        create_participant(coordinator.business_id, "Jordan", "12345")
    with pytest.raises(ValueError):
        create_participant(
            coordinator.business_id, "Jordan", "430123456", date(2027, 1, 1), date(2026, 1, 1)
        )
    jordan = create_participant(coordinator.business_id, " Jordan ", "430123456")
    assert jordan.id is not None and jordan.name == "Jordan"
    update_participant(jordan, "Jordan Lee", "430123457", date(2026, 7, 1), None)
    assert (jordan.ndis_number, jordan.plan_start) == ("430123457", date(2026, 7, 1))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    form=st.fixed_dictionaries(
        {
            "name": st.text(max_size=130),
            "ndis_number": st.one_of(st.just("430123456"), st.text(max_size=12)),
            "plan_start": st.one_of(st.just("2026-07-01"), st.text(max_size=12)),
            "plan_end": st.one_of(st.just("2027-06-30"), st.text(max_size=12)),
        }
    )
)
def test_any_participant_form_is_saved_or_refused_cleanly(client, coordinator, form):
    # 200: the number is already another participant's (saved examples share the database),
    # and the form asks "Save anyway".
    assert client.post("/participants/new", data=form).status_code in (200, 302, 400)
