"""Admins over HTTP: making admins, the last admin, deactivating a member."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Event, User
from tests import factories
from tests.team.conftest import Team, log_in, new_client


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_an_admin_makes_a_coordinator_admin_and_they_then_manage_the_team(app, team: Team):
    admin = log_in(app, team.admin)
    colleague = log_in(app, team.colleague)
    assert colleague.get("/team").status_code == 404
    answer = admin.post(f"/team/members/{team.colleague.id}/admin", data={"admin": "1"})
    assert answer.status_code == 302
    assert fresh(team.colleague).is_admin
    assert colleague.get("/team").status_code == 200
    assert colleague.get(f"/calendar?coordinator={team.coordinator.id}").status_code == 200


def test_the_last_admin_cannot_stop_being_admin_nor_be_deactivated(app, team: Team):
    admin = log_in(app, team.admin)
    demote = admin.post(f"/team/members/{team.admin.id}/admin", data={"admin": "0"})
    assert demote.status_code == 400 and "at least one admin" in demote.text
    leave = admin.post(f"/team/members/{team.admin.id}/deactivate")
    assert leave.status_code == 400 and "at least one admin" in leave.text
    me = fresh(team.admin)
    assert me.is_admin and me.is_active


def test_with_a_second_admin_the_first_may_step_down(app, team: Team):
    admin = log_in(app, team.admin)
    admin.post(f"/team/members/{team.colleague.id}/admin", data={"admin": "1"})
    step_down = admin.post(f"/team/members/{team.admin.id}/admin", data={"admin": "0"})
    assert step_down.status_code == 302
    assert not fresh(team.admin).is_admin
    assert admin.get("/team").status_code == 404


def test_a_deactivated_admin_does_not_count_as_an_admin(app, team: Team):
    admin = log_in(app, team.admin)
    admin.post(f"/team/members/{team.colleague.id}/admin", data={"admin": "1"})
    assert admin.post(f"/team/members/{team.colleague.id}/deactivate").status_code == 302
    assert admin.post(f"/team/members/{team.admin.id}/deactivate").status_code == 400


def test_a_deactivated_member_is_signed_out_everywhere_and_cannot_log_in(app, team: Team):
    event = factories.make_event(team.colleague, "Robin visit", internal_notes="Keep this")
    db.session.commit()
    phone, laptop = log_in(app, team.colleague), log_in(app, team.colleague)
    admin = log_in(app, team.admin)
    assert admin.post(f"/team/members/{team.colleague.id}/deactivate").status_code == 302
    for device in (phone, laptop):
        answer = device.get("/calendar")
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    again = new_client(app).post(
        "/login", data={"email": team.colleague.email, "password": factories.PASSWORD}
    )
    assert again.status_code == 400
    member = fresh(team.colleague)
    assert not member.is_active and member.deactivated_at is not None
    kept = db.session.get(Event, event.id)
    assert kept.owner_id == member.id and kept.internal_notes == "Keep this"
    # The admin still reaches the records, and the team page says what happened.
    assert admin.get(f"/calendar/events/{event.id}/edit").status_code == 200
    assert "Deactivated" in admin.get("/team").text


def test_a_deactivated_member_is_left_out_of_the_integrations_page(app, team: Team):
    admin = log_in(app, team.admin)
    admin.post(f"/team/members/{team.colleague.id}/deactivate")
    page = admin.get("/team/integrations").text
    assert f'data-member-id="{team.coordinator.id}"' in page
    assert f'data-member-id="{team.colleague.id}"' not in page
    assert admin.post(f"/team/integrations/{team.colleague.id}/remind").status_code == 404


def test_an_admin_of_another_business_cannot_touch_our_members(app, team: Team):
    outsider = log_in(app, team.outsider)
    answer = outsider.post(f"/team/members/{team.colleague.id}/deactivate")
    assert answer.status_code == 404 and fresh(team.colleague).is_active
    page = outsider.get("/team").text
    assert team.colleague.email not in page and team.outsider.email in page


def test_the_integrations_page_says_when_email_is_not_set_up(app, team: Team):
    admin = log_in(app, team.admin)
    assert 'id="mail-not-set-up"' in admin.get("/team/integrations").text
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    assert 'id="mail-not-set-up"' not in admin.get("/team/integrations").text
