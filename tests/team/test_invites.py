"""Inviting a colleague over HTTP, with a real SMTP server: invite, email, join, and after."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import MailMessage, MemberInvite, User, utcnow
from portal.team.operations import invite_member
from portal.team.tokens import token_hash
from tests.support.smtp import Mailbox, body_of
from tests.support.worker import run_jobs
from tests.team.conftest import Team, log_in, new_client

BASE = "http://localhost"
PASSWORD = "a long and careful passphrase"


@pytest.fixture
def config_overrides() -> dict:
    return {
        "PUBLIC_BASE_URL": BASE,
        "GOOGLE_CLIENT_ID": "test-client.apps.googleusercontent.com",
        "GOOGLE_CLIENT_SECRET": "test-secret",
    }


def invite(client: FlaskClient, email: str):
    return client.post("/team/invites", data={"email": email})


def shown_link(page: str) -> str:
    match = re.search(r'id="invite-link" value="' + re.escape(BASE) + r'(/join/[\w-]+)"', page)
    assert match, page
    return match.group(1)


def join(client: FlaskClient, path: str, name: str = "Jamie New", password: str = PASSWORD):
    data = {"name": name, "time_zone": "Australia/Perth", "password": password, "confirm": password}
    return client.post(path, data=data)


def test_invite_join_and_the_admin_sees_the_new_coordinator(app, team: Team, mailbox: Mailbox):
    admin = log_in(app, team.admin)
    page = invite(admin, "Jamie.New@Example.com ")
    assert page.status_code == 200
    path = shown_link(page.text)
    assert "jamie.new@example.com" in page.text and "Waiting to join" in page.text

    run_jobs()
    mail = mailbox.wait_for(to="jamie.new@example.com", kind="invite")
    assert BASE + path in body_of(mail) and "Bright Path Coordination" in mail["Subject"]

    newcomer = new_client(app)
    form = newcomer.get(path)
    assert form.status_code == 200 and "Join Bright Path Coordination" in form.text
    joined = join(newcomer, path)
    assert joined.status_code == 302 and joined.headers["Location"] == "/calendar"
    assert newcomer.get("/calendar").status_code == 200

    user = db.session.scalar(select(User).where(User.email == "jamie.new@example.com"))
    assert user.business_id == team.admin.business_id and not user.is_admin
    assert user.time_zone == "Australia/Perth" and user.name == "Jamie New"

    members = admin.get("/team").text
    assert f'data-member-id="{user.id}"' in members and "Waiting to join" not in members
    sync = admin.get("/team/integrations").text
    row = re.search(rf'<tr data-member-id="{user.id}" data-state="(\w+)">', sync)
    assert row and row.group(1) == "not_connected"


def test_the_link_works_once(app, team: Team):
    path = shown_link(invite(log_in(app, team.admin), "jamie@example.com").text)
    assert join(new_client(app), path).status_code == 302
    second = new_client(app)
    assert second.get(path).status_code == 404
    assert join(second, path, name="Someone Else").status_code == 404
    assert db.session.scalar(select(User).where(User.name == "Someone Else")) is None


def test_only_a_hash_of_the_token_is_stored(team: Team):
    new = invite_member(team.admin, "jamie@example.com")
    db.session.commit()
    stored = db.session.get(MemberInvite, new.invite.id)
    assert stored.token_hash == token_hash(new.token) != new.token
    assert new.token not in repr(db.session.execute(select(MemberInvite.__table__)).all())


def test_an_expired_invite_cannot_be_used(app, team: Team):
    new = invite_member(team.admin, "jamie@example.com")
    new.invite.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client = new_client(app)
    assert client.get(f"/join/{new.token}").status_code == 404
    assert join(client, f"/join/{new.token}").status_code == 404


@pytest.mark.parametrize(("days", "expected"), [(None, 3), (7, 7)])
def test_invites_last_three_days_unless_configured(app, team: Team, days, expected):
    if days is not None:
        app.config["INVITE_DAYS"] = days
    before = utcnow()
    invite(log_in(app, team.admin), "jamie@example.com")
    stored = db.session.scalar(select(MemberInvite))
    lasts = stored.expires_at - before
    assert timedelta(days=expected) <= lasts < timedelta(days=expected, minutes=1)


def test_a_withdrawn_invite_stops_working(app, team: Team):
    admin = log_in(app, team.admin)
    path = shown_link(invite(admin, "jamie@example.com").text)
    stored = db.session.scalar(select(MemberInvite))
    assert admin.post(f"/team/invites/{stored.id}/revoke").status_code == 302
    assert new_client(app).get(path).status_code == 404
    assert "jamie@example.com" not in admin.get("/team").text


def test_an_email_with_an_account_cannot_be_invited(app, team: Team):
    answer = invite(log_in(app, team.admin), team.outsider.email.upper())
    assert answer.status_code == 400 and "already has an account" in answer.text
    assert db.session.scalar(select(MemberInvite)) is None
    assert db.session.scalar(select(MailMessage)) is None


def test_a_bad_email_or_a_weak_password_gets_the_form_again(app, team: Team):
    admin = log_in(app, team.admin)
    assert invite(admin, "not an email").status_code == 400
    path = shown_link(invite(admin, "jamie@example.com").text)
    weak = join(new_client(app), path, password="password")
    assert weak.status_code == 400 and 'name="password"' in weak.text
    assert db.session.scalar(select(User).where(User.email == "jamie@example.com")) is None
    # The link still works after a refused attempt.
    assert join(new_client(app), path).status_code == 302


def test_a_link_made_up_is_not_found(client):
    assert client.get("/join/" + "x" * 43).status_code == 404


def test_remind_by_email_mails_the_coordinator(app, team: Team, mailbox: Mailbox):
    admin = log_in(app, team.admin)
    answer = admin.post(f"/team/integrations/{team.colleague.id}/remind")
    assert answer.status_code == 302
    run_jobs()
    mail = mailbox.wait_for(to=team.colleague.email, kind="sync_reminder")
    assert "Not connected" in body_of(mail) and f"{BASE}/portal/integrations" in body_of(mail)
    assert "Reminder on its way" in admin.get("/team/integrations").text


def test_no_reminder_without_mail_set_up(app, team: Team):
    app.config["SMTP_URL"] = None
    admin = log_in(app, team.admin)
    admin.post(f"/team/integrations/{team.colleague.id}/remind")
    assert db.session.scalar(select(MailMessage)) is None
    assert "Email is not set up" in admin.get("/team/integrations").text


def test_inviting_again_replaces_the_earlier_link(app, team: Team):
    admin = log_in(app, team.admin)
    first = shown_link(invite(admin, "jamie@example.com").text)
    second = shown_link(invite(admin, "jamie@example.com").text)
    assert new_client(app).get(first).status_code == 404
    assert join(new_client(app), second).status_code == 302
