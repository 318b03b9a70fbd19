"""Forgotten password, over HTTP with a real SMTP server: request, mail, link, new password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import MailMessage, PasswordReset, User, utcnow
from tests import factories
from tests.support.smtp import Mailbox, body_of
from tests.support.worker import queued_jobs, run_jobs

NEW_PASSWORD = "a new and long passphrase"
BASE = "http://localhost"


@pytest.fixture
def config_overrides() -> dict:
    return {"PUBLIC_BASE_URL": BASE, "RESET_LIMIT_PER_ACCOUNT": "3 per hour"}


@pytest.fixture
def user(app: Flask) -> User:
    user = factories.make_user(email="casey@example.org")
    db.session.commit()
    return user


def ask(client: FlaskClient, email: str, address: str = "10.1.1.1"):
    return client.post(
        "/forgot-password", data={"email": email}, environ_base={"REMOTE_ADDR": address}
    )


def emailed_link(mailbox: Mailbox, to: str) -> str:
    """Send what is queued, then the reset link's path from the mail that arrived."""
    run_jobs()
    message = mailbox.wait_for(to=to, kind="password_reset")
    match = re.search(re.escape(BASE) + r"(/reset-password/[\w-]+)", body_of(message))
    assert match, body_of(message)
    return match.group(1)


def choose(client: FlaskClient, path: str, password: str = NEW_PASSWORD):
    return client.post(path, data={"password": password, "confirm": password})


def test_the_link_sets_a_new_password_once_and_the_old_one_stops_working(
    client, auth, user, mailbox
):
    answer = ask(client, user.email)
    assert answer.status_code == 200 and "we have\n    emailed it a link" in answer.text

    path = emailed_link(mailbox, user.email)
    page = client.get(path)
    assert page.status_code == 200 and 'name="password"' in page.text
    done = choose(client, path)
    assert done.status_code == 302 and done.headers["Location"] == "/login"

    assert auth.login(user.email, factories.PASSWORD).status_code == 400
    assert auth.login(user.email, NEW_PASSWORD).status_code == 302
    auth.logout()
    again = choose(client, path, "yet another long passphrase")
    assert again.status_code == 400 and "does not work any more" in again.text
    assert auth.login(user.email, NEW_PASSWORD).status_code == 302


def test_a_reset_ends_the_sessions_already_open(app, client, auth, user, mailbox):
    other = app.test_client()
    assert other.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert other.get("/portal/integrations").status_code == 200

    ask(client, user.email)
    assert choose(client, emailed_link(mailbox, user.email)).status_code == 302

    # The test's app context keeps g between requests: a new request would not have it.
    g.pop("_login_user", None)
    assert other.get("/portal/integrations").status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, user, mailbox):
    known = ask(client, user.email)
    unknown = ask(client, "nobody@example.org")

    assert unknown.status_code == known.status_code == 200
    assert unknown.text.replace("nobody@example.org", "X") == known.text.replace(user.email, "X")
    run_jobs()
    assert [m["To"] for m in mailbox.messages] == [user.email]
    recipients = db.session.scalars(select(MailMessage.recipient)).all()
    assert recipients == [user.email]


def test_an_expired_link_is_refused(client, user, mailbox):
    ask(client, user.email)
    path = emailed_link(mailbox, user.email)
    reset = db.session.scalars(select(PasswordReset)).one()
    assert reset.expires_at - utcnow() <= timedelta(hours=1)
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    assert client.get(path).status_code == 400
    refused = choose(client, path)
    assert refused.status_code == 400 and "more than an hour old" in refused.text


def test_a_made_up_link_is_refused(client, user):
    assert client.get("/reset-password/not-a-real-token").status_code == 400


def test_only_a_hash_of_the_token_is_stored(client, user, mailbox):
    ask(client, user.email)
    token = emailed_link(mailbox, user.email).rsplit("/", 1)[-1]
    stored = db.session.scalars(select(PasswordReset.token_hash)).one()
    assert token not in stored and len(stored) == 64


def test_a_bad_new_password_shows_the_form_again_and_keeps_the_link(client, auth, user, mailbox):
    ask(client, user.email)
    path = emailed_link(mailbox, user.email)

    short = choose(client, path, "short")
    assert short.status_code == 400 and "at least 10 characters" in short.text
    assert choose(client, path).status_code == 302


def test_requests_are_throttled_per_address_asked_for_known_or_not(client, user):
    for email in (user.email, "nobody@example.org"):
        for number in range(3):
            assert ask(client, email, address=f"10.0.0.{number}").status_code == 200
        throttled = ask(client, email, address="10.0.9.9")
        assert throttled.status_code == 429 and "Please wait" in throttled.text
        assert int(throttled.headers["Retry-After"]) > 0
    assert db.session.scalar(select(func.count()).select_from(PasswordReset)) == 3


def test_without_mail_set_up_the_answer_is_the_same_and_nothing_is_sent(app, client, user):
    app.config["SMTP_URL"] = None
    answer = ask(client, user.email)

    assert answer.status_code == 200 and "If <strong>casey@example.org</strong>" in answer.text
    assert queued_jobs() == []
    row = db.session.scalars(select(MailMessage)).one()
    assert row.status == "not_configured"


def test_the_login_page_offers_the_forgotten_password_link(client):
    assert 'href="/forgot-password"' in client.get("/login").text


def test_a_deactivated_member_gets_the_same_answer_and_no_link(client, user):
    user.is_active = False
    db.session.commit()

    assert ask(client, user.email).status_code == 200
    assert db.session.scalars(select(PasswordReset)).all() == []
    assert queued_jobs() == []
