"""Calendar fixtures: coordinators in a chosen time zone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from portal.extensions import db
from portal.models import User
from tests import factories


@pytest.fixture
def coordinator_in(app, auth) -> Callable[[str], User]:
    """Log in a coordinator of a fresh business who lives in the given IANA zone."""

    def login(time_zone: str) -> User:
        user = factories.make_user(time_zone=time_zone)
        db.session.commit()
        assert auth.login(user.email).status_code == 302
        return user

    return login
