"""The Google-side fixtures for browser tests that connect a coordinator to the emulator.

tests/google/conftest.py is not a conftest of this folder, so a test module names these
as its own to have them; Google posts its notifications to the live portal.
"""

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
