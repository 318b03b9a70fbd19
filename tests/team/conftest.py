"""A business with an admin and two coordinators, another business, and signing in as each."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import g
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import GoogleConnection, User
from tests import factories


@dataclass
class Team:
    """An admin and two coordinators of one business; an admin of another business."""

    admin: User
    coordinator: User
    colleague: User
    outsider: User


@pytest.fixture
def team(app) -> Team:
    business = factories.make_business("Bright Path Coordination")
    admin = factories.make_user(business=business, email="admin@example.com", name="Alex Admin")
    coordinator = factories.make_user(
        business=business, email="casey@example.com", name="Casey Coordinator"
    )
    colleague = factories.make_user(
        business=business, email="robin@example.com", name="Robin Colleague"
    )
    outsider = factories.make_user(
        email="outsider@example.org", business_name="Other Practice", name="Olive Outsider"
    )
    coordinator.is_admin = colleague.is_admin = False
    db.session.commit()
    return Team(admin, coordinator, colleague, outsider)


def sign_in(client: FlaskClient, user: User | None) -> FlaskClient:
    """Give the client this user's session (None: signed out)."""
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user.get_id()
    # The test's app context keeps g between requests: each request finds its own user.
    g.pop("_login_user", None)
    return client


class MemberClient(FlaskClient):
    """A test client for one of several people: each request loads its own user.

    The test's app context, which requests share, caches the signed-in user in g.
    """

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def new_client(app) -> MemberClient:
    """A browser of its own: its own cookies, its own signed-in user."""
    return MemberClient(app, app.response_class, use_cookies=True)


def log_in(app, user: User, password: str = factories.PASSWORD) -> MemberClient:
    """A new client, logged in through the real form."""
    client = new_client(app)
    answer = client.post("/login", data={"email": user.email, "password": password})
    assert answer.status_code == 302, answer.text
    return client


def google_connection(user: User, **fields) -> GoogleConnection:
    """A connected Google connection row for a member (not added to the session)."""
    given = {"state": "connected"} | fields
    return GoogleConnection(
        user_id=user.id,
        business_id=user.business_id,
        google_sub=f"sub-{user.id}",
        google_email=f"user{user.id}@gmail.com",
        calendar_id=f"user{user.id}@gmail.com",
        access_token_enc="x",
        refresh_token_enc="y",
        **given,
    )
