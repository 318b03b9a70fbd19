"""The card's tests: Google is configured (a client id), but no call reaches Google."""

from __future__ import annotations

import pytest


@pytest.fixture
def config_overrides() -> dict:
    """A Google client id and secret, so the card is past “not configured”."""
    return {
        "GOOGLE_CLIENT_ID": "test-client.apps.googleusercontent.com",
        "GOOGLE_CLIENT_SECRET": "test-secret",
        "PUBLIC_BASE_URL": "http://localhost",
    }
