"""Identifiers: event ids in base32hex, opaque tokens, etags."""

from __future__ import annotations

import re
import secrets
import threading
import time

BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
_EVENT_ID = re.compile(r"^[0-9a-v]{5,1024}$")

_etag_lock = threading.Lock()
_last_etag = 0


def new_event_id(length: int = 26) -> str:
    """A random base32hex id, like the ones Google makes."""
    return "".join(secrets.choice(BASE32HEX) for _ in range(length))


def valid_event_id(value: str) -> bool:
    """Whether a client-chosen event id is acceptable (base32hex, 5-1024 chars)."""
    return isinstance(value, str) and bool(_EVENT_ID.match(value))


def token(prefix: str = "", nbytes: int = 48) -> str:
    """An unguessable URL-safe token with a prefix."""
    return prefix + secrets.token_urlsafe(nbytes)


def new_etag() -> str:
    """A fresh quoted etag, strictly increasing across the process."""
    global _last_etag
    with _etag_lock:
        value = max(int(time.time() * 1_000_000), _last_etag + 1)
        _last_etag = value
    return f'"{value}"'
