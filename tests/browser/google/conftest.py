"""The Google-side fixtures for the browser tests in this folder, which connect a coordinator
to the emulator: tests/google/conftest.py's, with Google posting to the live portal."""

from __future__ import annotations

import pytest

from tests.google import conftest as google_side

config_overrides = google_side.config_overrides
google_emulator_server = google_side.google_emulator_server
google = google_side.google
connect_flow = google_side.connect_flow
connected = google_side.connected


@pytest.fixture
def public_base_url(portal_port: int) -> str:
    """Google posts its notifications to the live portal."""
    return f"http://127.0.0.1:{portal_port}"
