"""Participants are archived and restored, never deleted; a shared NDIS number is a warning."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Event, Participant
from tests import factories


def test_archiving_hides_a_participant_from_the_list_and_keeps_the_record(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id, name="Jordan Lee")
    factories.make_participant(coordinator.business_id, name="Sam Nguyen", ndis="430999999")
    db.session.commit()
    response = client.post(f"/participants/{jordan.id}/archive")
    assert response.status_code == 302
    page = client.get("/participants").text
    assert "is archived. Their appointments are kept." in page
    assert "Sam Nguyen" in page and f'data-participant-id="{jordan.id}"' not in page
    db.session.expire_all()
    assert db.session.get(Participant, jordan.id).archived_at is not None


def test_show_archived_lists_only_the_archived_and_restore_brings_one_back(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id, name="Jordan Lee")
    factories.make_participant(coordinator.business_id, name="Sam Nguyen", ndis="430999999")
    db.session.commit()
    client.post(f"/participants/{jordan.id}/archive")
    archived = client.get("/participants?archived=1").text
    assert f'data-participant-id="{jordan.id}"' in archived and "Sam Nguyen" not in archived
    assert f"/participants/{jordan.id}/restore" in archived
    client.post(f"/participants/{jordan.id}/restore")
    assert f'data-participant-id="{jordan.id}"' in client.get("/participants").text
    assert "No archived participants" in client.get("/participants?archived=1").text


def test_an_archived_participant_is_not_offered_for_a_new_event(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id, name="Jordan Lee")
    factories.make_participant(coordinator.business_id, name="Sam Nguyen", ndis="430999999")
    db.session.commit()
    client.post(f"/participants/{jordan.id}/archive")
    form = client.get("/calendar/events/new").text
    assert ">Sam Nguyen</option>" in form and ">Jordan Lee</option>" not in form


def test_an_event_keeps_its_archived_participant_and_saves_with_it(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id, name="Jordan Lee")
    event = factories.make_event(coordinator, title="Plan review")
    event.participant_id = jordan.id
    db.session.commit()
    client.post(f"/participants/{jordan.id}/archive")
    form = client.get(f"/calendar/events/{event.id}/edit").text
    assert f'<option selected value="{jordan.id}">Jordan Lee</option>' in form
    db.session.expire_all()
    assert db.session.get(Event, event.id).participant_id == jordan.id


def test_another_businesss_participant_cannot_be_archived(client, coordinator, other_business_user):
    theirs = factories.make_participant(other_business_user.business_id, name="Not Yours")
    db.session.commit()
    assert client.post(f"/participants/{theirs.id}/archive").status_code == 404
    db.session.expire_all()
    assert db.session.get(Participant, theirs.id).archived_at is None


def test_archive_and_restore_need_a_login(client, app):
    for verb in ("archive", "restore"):
        response = client.post(f"/participants/1/{verb}")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def _form(**changes) -> dict[str, str]:
    return {"name": "Jordan Lee", "ndis_number": "430123456", **changes}


def test_a_shared_ndis_number_warns_with_a_link_and_saves_nothing_yet(client, coordinator):
    sam = factories.make_participant(coordinator.business_id, name="Sam Nguyen")
    db.session.commit()
    response = client.post("/participants/new", data=_form(name="Jordan Lee"))
    assert response.status_code == 200
    assert 'id="ndis-duplicate"' in response.text
    assert f'href="/participants/{sam.id}/edit">Sam Nguyen</a>' in response.text
    assert 'id="save-anyway"' in response.text
    assert db.session.scalars(select(Participant.name)).all() == ["Sam Nguyen"]


def test_save_anyway_adds_the_participant_with_the_shared_number(client, coordinator):
    factories.make_participant(coordinator.business_id, name="Sam Nguyen")
    db.session.commit()
    response = client.post("/participants/new", data=_form(duplicate_ok="y"))
    assert response.status_code == 302
    numbers = db.session.scalars(select(Participant.ndis_number)).all()
    assert numbers == ["430123456", "430123456"]


def test_the_warning_shows_on_the_edit_form_of_either_participant(client, coordinator):
    sam = factories.make_participant(coordinator.business_id, name="Sam Nguyen")
    jordan = factories.make_participant(coordinator.business_id, name="Jordan Lee")
    db.session.commit()
    page = client.get(f"/participants/{jordan.id}/edit").text
    assert f'href="/participants/{sam.id}/edit">Sam Nguyen</a>' in page
    assert 'id="save-anyway"' not in page


def test_the_same_number_in_another_business_is_no_warning(
    client, coordinator, other_business_user
):
    factories.make_participant(other_business_user.business_id, name="Not Yours")
    db.session.commit()
    response = client.post("/participants/new", data=_form())
    assert response.status_code == 302


def test_saving_a_participant_with_its_own_number_is_no_warning(client, coordinator):
    jordan = factories.make_participant(coordinator.business_id)
    db.session.commit()
    response = client.post(f"/participants/{jordan.id}/edit", data=_form(name="Jordan Lee-Smith"))
    assert response.status_code == 302


def test_the_table_names_every_column(client, coordinator):
    factories.make_participant(coordinator.business_id)
    db.session.commit()
    page = client.get("/participants").text
    assert "<th></th>" not in page and '<th scope="col">Actions</th>' in page
