"""The password rule: at least 10 characters and not a common password; nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.auth.accounts import PasswordNotAllowed, set_password
from portal.auth.passwords import is_common, password_problem
from portal.extensions import db
from portal.models import User
from tests import factories
from tests.auth.test_accounts import signup_form

COMMON = ["password12", "1234567890", "qwertyuiop", "Password123", "monkey12345!", "iloveyou12"]
FINE = [
    "a long enough password",
    "correct horse battery",
    "zebra kettle 42 lamp",
    "ALLCAPSNODIGITS",
]


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_refused(password):
    assert is_common(password)
    assert password_problem(password)


@pytest.mark.parametrize("password", FINE)
def test_no_composition_rules(password):
    assert password_problem(password) is None


@pytest.mark.parametrize("password", ["password12", "1234567890"])
def test_signup_refuses_a_common_password_with_the_form_again(client, password):
    response = client.post("/signup", data=signup_form(password=password, confirm=password))
    assert response.status_code == 400
    assert "most common" in response.text
    assert db.session.scalar(select(User)) is None


def test_any_password_set_follows_the_rule(app):
    user = factories.make_user()
    with pytest.raises(PasswordNotAllowed):
        set_password(user, "password123")
    with pytest.raises(PasswordNotAllowed):
        set_password(user, "short")
