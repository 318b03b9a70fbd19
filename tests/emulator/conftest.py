"""Fixtures: one live emulator per test session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from google_emulator import EmulatorServer

from .helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_USER,
    REDIRECT_URI,
    USER,
    Webhook,
    calendar_service,
    credentials,
    get_tokens,
)


@pytest.fixture(scope="session")
def _emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator(_emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """A live emulator with one client and two users, everything else empty."""
    state = _emulator_server.state
    state.reset()
    state.configure(notification_backoff=0.05, delivery_timeout=2.0)
    state.add_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI], "Coordinoter (test)")
    state.add_user(USER, "Casey Coordinator")
    state.add_user(OTHER_USER, "Olive Other")
    yield _emulator_server
    state.set_notification_faults()
    state.reset()


@pytest.fixture
def tokens(emulator: EmulatorServer) -> dict[str, Any]:
    """Tokens for USER with openid, email, profile and the full calendar scope."""
    return get_tokens(emulator.url)


@pytest.fixture
def creds(emulator: EmulatorServer, tokens: dict[str, Any]) -> Any:
    """google-auth credentials for USER."""
    return credentials(emulator.url, tokens)


@pytest.fixture
def service(emulator: EmulatorServer, creds: Any) -> Any:
    """googleapiclient Calendar v3 client for USER."""
    return calendar_service(emulator.url, creds)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A live webhook receiver."""
    hook = Webhook()
    yield hook
    hook.close()
