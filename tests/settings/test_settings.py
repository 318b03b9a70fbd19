"""The settings page over HTTP: name, email, time zone and a password change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.extensions import db
from portal.models import User
from tests import factories
from tests.team.conftest import log_in, new_client

NEW_PASSWORD = "a brand new long passphrase"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def member(app) -> User:
    user = factories.make_user(email="casey@example.com", name="Casey Coordinator")
    user.is_admin = False
    db.session.commit()
    return user


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def profile(**changes) -> dict:
    return {"name": "Casey C.", "email": "casey@example.com", "time_zone": "Australia/Sydney"} | (
        changes
    )


def password_form(current: str = factories.PASSWORD, new: str = NEW_PASSWORD) -> dict:
    return {"current_password": current, "new_password": new, "confirm": new}


def test_the_page_shows_the_current_details(app, member):
    page = log_in(app, member).get("/settings")
    assert page.status_code == 200
    assert 'value="casey@example.com"' in page.text and 'value="Casey Coordinator"' in page.text
    assert '<option selected value="Australia/Sydney">' in page.text


def test_name_email_and_zone_are_saved_and_the_new_email_logs_in(app, member):
    client = log_in(app, member)
    answer = client.post(
        "/settings", data=profile(email=" Casey.New@Example.com", time_zone="Australia/Perth")
    )
    assert answer.status_code == 302
    saved = fresh(member)
    assert (saved.name, saved.email, saved.time_zone) == (
        "Casey C.",
        "casey.new@example.com",
        "Australia/Perth",
    )
    assert "Your details are saved." in client.get("/settings").text
    assert (
        new_client(app)
        .post("/login", data={"email": "casey.new@example.com", "password": factories.PASSWORD})
        .status_code
        == 302
    )


def test_the_calendar_follows_the_new_zone_at_once(app, member):
    # 9:00 on Monday 5 October 2026 in Sydney is 6:00 in Perth.
    factories.make_event(member, "Home visit", datetime(2026, 10, 4, 22, tzinfo=UTC))
    db.session.commit()
    client = log_in(app, member)
    week = "/calendar?week=2026-10-05"
    assert "Sydney" in client.get(week, headers=HTMX).text
    client.post("/settings", data=profile(time_zone="Australia/Perth"))
    region = client.get(week, headers=HTMX).text
    assert "Times in Perth" in region and "6:00" in region


def test_an_email_someone_else_uses_is_refused(app, member):
    factories.make_user(email="taken@example.com")
    db.session.commit()
    answer = log_in(app, member).post("/settings", data=profile(email="TAKEN@example.com"))
    assert answer.status_code == 400 and "Someone else already uses this email." in answer.text
    assert fresh(member).email == "casey@example.com" and fresh(member).name == "Casey Coordinator"


@pytest.mark.parametrize(
    "changes",
    [{"name": ""}, {"email": "not an email"}, {"time_zone": "Mars/Olympus"}, {"name": "x" * 121}],
)
def test_bad_input_gets_the_form_again_and_saves_nothing(app, member, changes):
    answer = log_in(app, member).post("/settings", data=profile(**changes))
    assert answer.status_code == 400 and 'class="error"' in answer.text
    saved = fresh(member)
    assert (saved.name, saved.email) == ("Casey Coordinator", "casey@example.com")


def test_a_password_change_needs_the_current_one(app, member):
    answer = log_in(app, member).post("/settings/password", data=password_form(current="wrong one"))
    assert answer.status_code == 400 and "This is not your current password." in answer.text
    assert (
        new_client(app)
        .post("/login", data={"email": member.email, "password": factories.PASSWORD})
        .status_code
        == 302
    )


def test_a_weak_new_password_is_refused(app, member):
    answer = log_in(app, member).post("/settings/password", data=password_form(new="password1"))
    assert answer.status_code == 400 and 'name="new_password"' in answer.text
    assert fresh(member).session_version == member.session_version


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, member):
    here, elsewhere = log_in(app, member), log_in(app, member)
    answer = here.post("/settings/password", data=password_form())
    assert answer.status_code == 302 and answer.headers["Location"] == "/settings"
    assert "You were logged out everywhere else." in here.get("/settings").text
    assert here.get("/calendar").status_code == 200
    gone = elsewhere.get("/calendar")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    old = new_client(app).post(
        "/login", data={"email": member.email, "password": factories.PASSWORD}
    )
    assert old.status_code == 400
    log_in(app, member, NEW_PASSWORD)


def test_failed_password_changes_are_throttled_per_account(app, member):
    app.config["PASSWORD_CHANGE_LIMIT"] = "3 per 15 minutes"
    here, elsewhere = log_in(app, member), log_in(app, member)
    for _ in range(3):
        wrong = here.post("/settings/password", data=password_form(current="a guess"))
        assert wrong.status_code == 400
    # Another session of the same account is held too, even with the right password.
    for client in (here, elsewhere):
        answer = client.post("/settings/password", data=password_form())
        assert answer.status_code == 429
        assert 0 < int(answer.headers["Retry-After"]) <= 900
        assert "Too many failed tries. Try again in 15 minutes." in answer.text
        assert 'name="current_password"' in answer.text and 'name="name"' in answer.text
    assert fresh(member).session_version == member.session_version
    # Saving details is not a password change: it goes on.
    assert here.post("/settings", data=profile()).status_code == 302


def test_a_throttled_account_leaves_others_alone_and_a_success_does_not_count(app, member):
    app.config["PASSWORD_CHANGE_LIMIT"] = "2 per 15 minutes"
    other = factories.make_user(email="sam@example.com", name="Sam")
    db.session.commit()
    here = log_in(app, member)
    for _ in range(2):
        here.post("/settings/password", data=password_form(current="a guess"))
    assert here.post("/settings/password", data=password_form()).status_code == 429
    theirs = log_in(app, other)
    assert theirs.post("/settings/password", data=password_form()).status_code == 302
    again = password_form(current=NEW_PASSWORD, new="another long passphrase")
    assert theirs.post("/settings/password", data=again).status_code == 302


def test_settings_need_a_login(client):
    answer = client.get("/settings")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
