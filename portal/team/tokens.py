"""Invite link tokens: random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

# 32 random bytes: the link cannot be guessed; URL-safe, so it sits in the path as it is.
TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh random token for an invite link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored form of a token (SHA-256, hex): enough for a random token, and quick."""
    return hashlib.sha256(token.encode()).hexdigest()
