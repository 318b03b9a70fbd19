"""Chaos fixtures: the Google emulator, the portal on a real socket (tests/conftest.py's
live_portal, so notifications really arrive), a redis-server of the test's own (chaos stops
and restarts it), and coordinators syncing with Google, one per privacy level.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from google_emulator.server import EmulatorServer
from portal.config import SYNC_TUNING
from portal.extensions import db
from portal.models import GoogleConnection
from tests import factories
from tests.chaos.run import replay_line
from tests.chaos.values import LEVELS
from tests.chaos.world import Account, World
from tests.conftest import AuthActions
from tests.google.conftest import (  # noqa: F401  (fixtures)
    GOOGLE_USER,
    OTHER_GOOGLE_USER,
    ConnectFlow,
    connect_flow,
    emulator_config,
    google,
    google_emulator_server,
)
from tests.support.redis_server import PrivateRedis
from tests.support.worker import run_jobs

SEED_KEY = pytest.StashKey[int]()
LEVEL_KEY = pytest.StashKey[tuple]()
BURST_SETTINGS = ("GOOGLE_BURST_GAP", "GOOGLE_BURST_QUIET", "GOOGLE_BURST_MAX_WAIT")
# The Google accounts of the chaos coordinators, one each.
GOOGLE_ACCOUNTS = (GOOGLE_USER, OTHER_GOOGLE_USER, "casey.third@gmail.com")


@pytest.fixture
def db_backend_is_postgresql(db_backend: str) -> None:
    """Killed workers and concurrent writers need PostgreSQL (SQLite allows one writer)."""
    if db_backend != "postgresql":
        pytest.skip("chaos runs real concurrent workers, which need PostgreSQL")


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    """A redis-server of this test's own, on a free port; killed when the test ends.

    Chaos stops and restarts it for real, which the machine's shared Redis (other test runs,
    other developers) must never see. Nothing outside this test knows its port.
    """
    server = PrivateRedis(tmp_path / "redis")
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def public_base_url(portal_port: int) -> str:
    """Google notifies the live portal, so that is the portal's public origin."""
    return f"http://127.0.0.1:{portal_port}"


@pytest.fixture
def config_overrides(
    google_emulator_server: EmulatorServer,  # noqa: F811
    public_base_url: str,
    private_redis: PrivateRedis,
) -> dict:
    """The emulator as Google, the private Redis, production's burst deferral, and retries
    that recover within the test: one quick HTTP retry, then RQ's immediate re-queues."""
    return {
        **emulator_config(google_emulator_server.url, public_base_url),
        "REDIS_URL": private_redis.url,
        # Bursts of notifications put their pull off as in production (tests/conftest.py turns
        # that off for the rest of the suite): the workers' RQ schedulers run those pulls.
        **{name: SYNC_TUNING[name] for name in BURST_SETTINGS},
        "GOOGLE_HTTP_RETRIES": 1,
        "GOOGLE_JOB_RETRY_INTERVALS": "0,0,0,0",
        "GOOGLE_HTTP_TIMEOUT": 10,
    }


@pytest.fixture
def chaos_seed(request: pytest.FixtureRequest) -> int:
    """CHAOS_SEED replays a run; otherwise a fresh seed (printed, and named on any failure)."""
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(10**9))
    request.node.stash[SEED_KEY] = seed
    print(f"chaos seed: {seed} (replay with CHAOS_SEED={seed})")
    return seed


@pytest.fixture
def privacy_level() -> str:
    """The level chaos_connection syncs at."""
    return "full"


@pytest.fixture
def chaos_connection(
    coordinator,
    connect_flow,  # noqa: F811
    live_portal,
    privacy_level: str,
) -> GoogleConnection:
    """The logged-in coordinator signed in with Google, imported, syncing at privacy_level."""
    return _connected(coordinator, connect_flow, GOOGLE_USER, privacy_level)


def _connected(user, flow: ConnectFlow, account: str, level: str) -> GoogleConnection:
    """Sign in with Google as `account`, import, and set the privacy level."""
    from portal.google.account.connection import set_privacy_level

    response = flow.run(account=account)
    assert response.status_code == 302, response.text
    run_jobs()
    connection = db.session.scalar(
        select(GoogleConnection).where(GoogleConnection.user_id == user.id)
    )
    assert connection.state == "connected", connection.last_error
    set_privacy_level(connection, level)
    db.session.commit()
    run_jobs()
    return connection


@pytest.fixture
def chaos_levels() -> tuple[str, ...]:
    """One coordinator per privacy level, so every storm covers every level."""
    return LEVELS


@pytest.fixture
def chaos_accounts(
    app,
    coordinator,
    connect_flow,  # noqa: F811
    google,  # noqa: F811
    live_portal,
    public_base_url: str,
    chaos_levels: tuple[str, ...],
    request: pytest.FixtureRequest,
) -> list[Account]:
    """Coordinators of their own practices, each with its own Google account, one per level.

    The first is the logged-in `coordinator`; the others sign in with their own test client.
    """
    request.node.stash[LEVEL_KEY] = chaos_levels
    accounts = []
    for number, level in enumerate(chaos_levels):
        email = GOOGLE_ACCOUNTS[number]
        if email not in {u["email"] for u in google.state.users_list()}:
            google.state.add_user(email, f"Coordinator {number}")
        if number == 0:
            user, flow = coordinator, connect_flow
        else:
            user = factories.make_user(
                email=f"chaos{number}@example.com", business_name=f"Practice {number}"
            )
            db.session.commit()
            client = app.test_client()
            assert AuthActions(client).login(user.email).status_code == 302
            flow = ConnectFlow(client, google, public_base_url)
        connection = _connected(user, flow, email, level)
        accounts.append(Account(user.id, connection.id, level, email))
    return accounts


@pytest.fixture
def world(
    db_backend_is_postgresql,
    app,
    chaos_seed,
    chaos_accounts,
    google,  # noqa: F811  (the fixture imported above)
    private_redis,
    tmp_path,
) -> Iterator[World]:
    """Everything the chaos driver acts on (worker logs go to the test's tmp_path).

    The seed is drawn first, so whatever fails from here on (set-up included) names it.
    """
    world = World(
        app=app,
        google=google.state,
        accounts=chaos_accounts,
        redis=private_redis,
        log_dir=tmp_path / "workers",
    )
    yield world
    world.shut_down()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """Any failure of a seeded test, in any phase and of any kind, names its seed."""
    report = yield
    seed = item.stash.get(SEED_KEY, None)
    if report.failed and seed is not None:
        levels = item.stash.get(LEVEL_KEY, ())
        report.sections.append(("chaos seed", replay_line(seed, levels)))
    return report
