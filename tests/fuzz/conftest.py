"""Fuzz helpers: hypothesis settings for CI, and row counts to prove nothing was half-saved."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from portal.extensions import db
from portal.models import SyncLog
from tests import factories

# Fast enough for every push; the same fixtures serve every example of a test.
FUZZ = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def own_rows(app, client) -> dict:
    """A coordinator signed in (without the form, which may need a token) and their rows."""
    user = factories.make_user()
    participant = factories.make_participant(user.business_id)
    event = factories.make_event(user, participant_id=participant.id)
    log = SyncLog(user_id=user.id, kind="conflict", message="ours")
    db.session.add(log)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    return {"event": event.id, "participant": participant.id, "log": log.id}


def row_counts() -> dict[str, int]:
    """Rows in every table, as committed."""
    db.session.rollback()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def assert_clean_answer(response: TestResponse, before: dict[str, int]) -> None:
    """Never a 5xx; and a refusal (any 4xx) leaves every table exactly as it was."""
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    if response.status_code >= 400:
        after = row_counts()
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        assert not changed, f"{response.status_code} but rows changed: {changed}"


# The Google emulator and a connected coordinator, for the Google card and webhook fuzzers.
from tests.google.conftest import (  # noqa: E402, F401  (fixtures)
    config_overrides,
    connect_flow,
    connected,
    google,
    google_emulator_server,
    public_base_url,
)
