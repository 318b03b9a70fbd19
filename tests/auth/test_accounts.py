"""Signing up, logging in and out."""

from sqlalchemy import select

from portal.auth.accounts import authenticate
from portal.config import load_config
from portal.extensions import db
from portal.models import Business, User
from tests import factories


def signup_form(**changes):
    form = {
        "business_name": "Bright Path Coordination",
        "name": "Casey Coordinator",
        "email": "Casey@Example.com",
        "password": "a long enough password",
        "confirm": "a long enough password",
        "time_zone": "Australia/Brisbane",
    }
    form.update(changes)
    return form


def test_signup_creates_a_business_and_its_admin_and_logs_in(client):
    response = client.post("/signup", data=signup_form())
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.email == "casey@example.com"
    assert user.is_admin and user.time_zone == "Australia/Brisbane"
    assert user.business.name == "Bright Path Coordination"
    assert user.password_hash.startswith(factories.HASH_METHOD + "$")
    assert client.get("/calendar").status_code == 200


def test_the_portal_hashes_passwords_with_scrypt_whatever_the_environment_says(app, client):
    config = load_config({"COORDINOTER_ENV": "test", "PASSWORD_HASH_METHOD": "plain"})
    assert config["PASSWORD_HASH_METHOD"] == "scrypt"
    # With the portal's own method, a sign-up stores scrypt and its password logs in again.
    app.config["PASSWORD_HASH_METHOD"] = config["PASSWORD_HASH_METHOD"]
    assert client.post("/signup", data=signup_form()).status_code == 302
    assert db.session.scalar(select(User.password_hash)).startswith("scrypt:32768:8:1$")
    client.post("/logout")
    assert authenticate("casey@example.com", "a long enough password") is not None
    assert authenticate("nobody@example.com", "a long enough password") is None


def test_signup_with_bad_input_is_a_400_with_the_form_and_saves_nothing(client):
    for changes in (
        {"email": "not-an-email"},
        {"password": "short", "confirm": "short"},
        {"confirm": "something else entirely"},
        {"business_name": ""},
        {"time_zone": "Mars/Olympus_Mons"},
        {"name": "x" * 500},
    ):
        response = client.post("/signup", data=signup_form(**changes))
        assert response.status_code == 400, changes
        assert 'class="error"' in response.text
    assert db.session.scalar(select(Business)) is None


def test_signup_refuses_an_email_already_in_use(client, app):
    factories.make_user(email="casey@example.com")
    db.session.commit()
    response = client.post("/signup", data=signup_form())
    assert response.status_code == 400
    assert "already exists" in response.text


def test_login_and_logout(client, app):
    user = factories.make_user()
    db.session.commit()
    assert client.get("/calendar").status_code == 302
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get("/calendar").status_code == 200
    client.post("/logout")
    assert client.get("/calendar").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, app):
    user = factories.make_user()
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": "nope nope nope"})
    assert response.status_code == 400
    assert "Email or password is not right" in response.text


def test_login_never_redirects_off_site(client, app):
    user = factories.make_user()
    db.session.commit()
    response = client.post(
        "/login?next=//evil.example/x", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.headers["Location"] == "/calendar"


def test_forms_are_csrf_protected(app, database_url, redis_url):
    from portal import create_app
    from tests.conftest import base_config

    strict = create_app({**base_config(database_url, redis_url), "WTF_CSRF_ENABLED": True})
    response = strict.test_client().post("/signup", data=signup_form())
    assert response.status_code == 400
    assert "form expired" in response.text
