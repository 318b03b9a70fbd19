"""Where Google posts its notifications, and whether they can arrive there at all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Answered by webhook.NotifyEndpoint, in front of Flask.
NOTIFY_PATH = "/google/notify"


def webhook_address(config: Mapping[str, Any]) -> str:
    """PUBLIC_BASE_URL + /google/notify, the address every watch channel gives Google."""
    return config["PUBLIC_BASE_URL"] + NOTIFY_PATH


def webhook_reach(config: Mapping[str, Any]) -> str | None:
    """How Google's notifications reach the webhook: "https"; "emulator" (the emulator also
    posts to plain http, accepted in development and tests only); None when they cannot."""
    if config["PUBLIC_BASE_URL"].startswith("https://"):
        return "https"
    if config.get("GOOGLE_EMULATOR_URL") and config.get("ENV_NAME") in ("development", "test"):
        return "emulator"
    return None
