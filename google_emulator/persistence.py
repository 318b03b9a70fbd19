"""The optional state file: JSON, written after changes (debounced, atomic rename)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from .model import (
    AccessToken,
    Calendar,
    Channel,
    Client,
    EventRecord,
    Grant,
    RefreshToken,
    User,
    from_dict,
    to_dict,
)
from .signing import SigningKey
from .state import DEFAULT_CONFIG, EmulatorState

log = logging.getLogger(__name__)
FORMAT = 1


def dump(state: EmulatorState) -> dict[str, Any]:
    """Everything worth keeping across a restart, as JSON-able data."""
    with state.lock:
        return {
            "format": FORMAT,
            "config": state.config(),
            "signing": {"pem": state.signing.private_pem(), "kid": state.signing.kid},
            "users": [to_dict(u) for u in state.users.values()],
            "clients": [to_dict(c) for c in state.clients.values()],
            "calendars": [to_dict(c) for c in state.calendars.values()],
            "grants": [to_dict(g) for g in state.grants.values()],
            "access_tokens": [to_dict(t) for t in state.access_tokens.values()],
            "refresh_tokens": [to_dict(t) for t in state.refresh_tokens.values()],
            "channels": [to_dict(c) for c in state.channel_map.values() if not c.stopped],
        }


def load(state: EmulatorState, data: dict[str, Any]) -> None:
    """Replace the state's data with a dump."""
    with state.lock:
        state.reset()
        for name, value in (data.get("config") or {}).items():
            if name in DEFAULT_CONFIG:
                setattr(state, name, value)
        signing = data.get("signing")
        if signing and signing.get("pem"):
            state.signing = SigningKey(signing["pem"], signing.get("kid"))
        for u in data.get("users", []):
            user = from_dict(User, u)
            state.users[user.email] = user
        for c in data.get("clients", []):
            client = from_dict(Client, c)
            state.clients[client.client_id] = client
        for c in data.get("calendars", []):
            events = {k: from_dict(EventRecord, v) for k, v in (c.get("events") or {}).items()}
            cal = from_dict(Calendar, {**c, "events": events})
            state.calendars[cal.id] = cal
        for g in data.get("grants", []):
            grant = from_dict(Grant, g)
            state.grants[(grant.email, grant.client_id)] = grant
        for t in data.get("access_tokens", []):
            token = from_dict(AccessToken, t)
            state.access_tokens[token.token] = token
        for t in data.get("refresh_tokens", []):
            refresh = from_dict(RefreshToken, t)
            state.refresh_tokens[refresh.token] = refresh
        for c in data.get("channels", []):
            channel = from_dict(Channel, c)
            state.channel_map[channel.id] = channel
        state.version += 1


class StateFile:
    """Keeps a state mirrored to a JSON file."""

    def __init__(
        self, state: EmulatorState, path: str | os.PathLike[str], interval: float = 0.5
    ) -> None:
        self.state = state
        self.path = Path(path)
        self.interval = interval
        self._saved_version = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load(self) -> bool:
        """Load the file if it exists; True when something was loaded."""
        if not self.path.exists():
            return False
        with self.path.open(encoding="utf-8") as fh:
            load(self.state, json.load(fh))
        self._saved_version = self.state.version
        return True

    def save(self) -> None:
        """Write the state now (temporary file, then atomic rename)."""
        version = self.state.version
        payload = dump(self.state)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".gemu-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=1)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._saved_version = version

    def start(self) -> None:
        """Save in the background whenever the state changed (at most every `interval`)."""
        self._thread = threading.Thread(target=self._run, name="gemu-statefile", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.state.version != self._saved_version:
                try:
                    self.save()
                except OSError:
                    log.exception("could not write %s", self.path)

    def stop(self) -> None:
        """Stop the background writer and save one last time if needed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.state.version != self._saved_version:
            self.save()
