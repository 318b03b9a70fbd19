"""Shared fixtures: a real PostgreSQL or SQLite database, real Redis, and a logged-in coordinator.

Run with `--db postgresql` (default) or `--db sqlite`. Each test process (each xdist worker)
gets a database of its own and a redis-server of its own on a free loopback port, so the suite
runs in parallel and two suites on one machine never share a queue.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from tests import factories
from tests.support.processes import free_port
from tests.support.redis_server import PrivateRedis
from tests.support.smtp import mailbox, smtp_server  # noqa: F401  (fixtures for every test)

PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/test"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("postgresql", "sqlite"),
        default=os.environ.get("TEST_DB", "postgresql"),
        help="database backend the suite runs against",
    )


def _worker_number(worker_id: str) -> int:
    return int(worker_id[2:]) if worker_id.startswith("gw") else 0


@pytest.fixture(scope="session")
def db_backend(request: pytest.FixtureRequest) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def database_url(db_backend: str, worker_id: str, tmp_path_factory) -> Iterator[str]:
    """A fresh, empty database for this test process."""
    if db_backend == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "portal.sqlite3")
        return
    # The pid keeps two test runs on one machine (two developers, or CI) out of each other's way.
    name = f"coordinoter_test_{_worker_number(worker_id)}_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server of this test process's own, on a free loopback port, for the whole run.

    A fixed database number on the machine's shared Redis would be flushed by any other suite
    that picked the same number; a server nobody else knows the port of cannot be. It is
    killed at the end, and with this process if the process dies first.
    """
    with PrivateRedis(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


def base_config(database_url: str, redis_url: str) -> dict:
    """The configuration every test app starts from."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
        "GOOGLE_CLIENT_ID": None,
        "GOOGLE_CLIENT_SECRET": None,
        "SERVER_NAME": None,
        # Mail goes nowhere unless a test asks for the `mailbox` fixture (tests/support/smtp.py),
        # whatever SMTP_URL the developer's shell holds.
        "SMTP_URL": None,
        # Tests pull at once after every notification; tests/google/test_bursts.py turns the
        # burst deferral on with a real worker and scheduler.
        "GOOGLE_BURST_GAP": 0,
        "PASSWORD_HASH_METHOD": factories.HASH_METHOD,
    }


@pytest.fixture(scope="session")
def _schema(database_url: str, redis_url: str) -> None:
    """Build the schema once per process through the real migrations."""
    from flask_migrate import upgrade

    app = create_app(base_config(database_url, redis_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture
def config_overrides() -> dict:
    """Per-test configuration; override this fixture in a module to change settings."""
    return {}


@pytest.fixture
def app(_schema, database_url: str, redis_url: str, config_overrides: dict) -> Iterator[Flask]:
    """The portal on a clean database and a clean Redis database."""
    app = create_app({**base_config(database_url, redis_url), **config_overrides})
    Redis.from_url(redis_url).flushdb()
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


def _empty_all_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


class AuthActions:
    """Log the test client in and out through the real forms."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, email: str, password: str = factories.PASSWORD):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def coordinator(app: Flask, auth: AuthActions):
    """A coordinator of a fresh business, logged in on `client`."""
    user = factories.make_user()
    db.session.commit()
    response = auth.login(user.email)
    assert response.status_code == 302, response.text
    return user


@pytest.fixture
def other_business_user(app: Flask):
    """A coordinator of another business, for tenancy tests."""
    user = factories.make_user(business_name="Other Practice", email="other@example.org")
    db.session.commit()
    return user


@pytest.fixture
def portal_port() -> int:
    """A free loopback port, chosen before the app exists so it can be its PUBLIC_BASE_URL."""
    return free_port()


@pytest.fixture
def live_portal(app: Flask, portal_port: int) -> Iterator[str]:
    """The test app on a real socket (port portal_port), e.g. for Google's notifications."""
    server = make_server("127.0.0.1", portal_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-portal", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{portal_port}"
    server.shutdown()
    thread.join(timeout=10)
