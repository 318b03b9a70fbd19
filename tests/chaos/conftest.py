"""Chaos fixtures: the Google emulator, the portal on a real socket (tests/conftest.py's
live_portal, so notifications really arrive), and a coordinator syncing at privacy "full".
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from google_emulator.server import EmulatorServer
from portal.config import google_endpoints
from portal.extensions import db
from portal.models import GoogleConnection
from tests.chaos.world import World
from tests.google.conftest import (  # noqa: F401  (fixtures)
    CLIENT_ID,
    CLIENT_SECRET,
    connect_flow,
    google,
    google_emulator_server,
)
from tests.support.worker import run_jobs


@pytest.fixture
def db_backend_is_postgresql(db_backend: str) -> None:
    """Killed workers and concurrent writers need PostgreSQL (SQLite allows one writer)."""
    if db_backend != "postgresql":
        pytest.skip("chaos runs real concurrent workers, which need PostgreSQL")


@pytest.fixture
def public_base_url(portal_port: int) -> str:
    """Google notifies the live portal, so that is the portal's public origin."""
    return f"http://127.0.0.1:{portal_port}"


@pytest.fixture
def config_overrides(google_emulator_server: EmulatorServer, public_base_url: str) -> dict:  # noqa: F811
    """The emulator as Google, and retries that recover within the test: one quick HTTP retry,
    then RQ's immediate re-queues (a scheduler-less worker could not run delayed ones)."""
    url = google_emulator_server.url
    return {
        "GOOGLE_EMULATOR_URL": url,
        **google_endpoints({"GOOGLE_EMULATOR_URL": url}),
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "PUBLIC_BASE_URL": public_base_url,
        "GOOGLE_HTTP_RETRIES": 1,
        "GOOGLE_JOB_RETRY_INTERVALS": "0,0,0,0",
        "GOOGLE_HTTP_TIMEOUT": 10,
    }


@pytest.fixture
def chaos_seed() -> int:
    """CHAOS_SEED replays a run; otherwise a fresh seed (printed, and named on failure)."""
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(10**9))
    print(f"chaos seed: {seed} (replay with CHAOS_SEED={seed})")
    return seed


@pytest.fixture
def full_connection(coordinator, connect_flow, live_portal) -> GoogleConnection:  # noqa: F811
    """The coordinator signed in with Google, imported, and syncing at privacy level "full"."""
    from portal.google.connection import set_privacy_level

    response = connect_flow.run()
    assert response.status_code == 302, response.text
    run_jobs()
    connection = db.session.scalar(
        select(GoogleConnection).where(GoogleConnection.user_id == coordinator.id)
    )
    assert connection.state == "connected", connection.last_error
    set_privacy_level(connection, "full")
    db.session.commit()
    return connection


@pytest.fixture
def world(
    app,
    db_backend_is_postgresql,
    full_connection,
    google,  # noqa: F811  (the fixture imported above)
    coordinator,
    tmp_path,
) -> Iterator[World]:
    """Everything the chaos driver acts on (worker logs go to the test's tmp_path)."""
    world = World(
        app=app,
        google=google.state,
        user_id=coordinator.id,
        connection_id=full_connection.id,
        log_dir=tmp_path / "workers",
    )
    yield world
    world.shut_down()
