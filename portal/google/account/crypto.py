"""Encryption of OAuth tokens at rest: MultiFernet over TOKEN_ENCRYPTION_KEY.

The setting is a comma-separated list of Fernet keys. The first key encrypts; every key
decrypts. To rotate: put a new key first, keep the old ones after it, re-encrypt the stored
tokens (`reencrypt_all_tokens` in portal.google.account.tokens), then drop the old keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class TokenKeyError(RuntimeError):
    """TOKEN_ENCRYPTION_KEY is missing or holds something that is not a Fernet key."""


class TokenDecryptError(RuntimeError):
    """A stored token cannot be decrypted with any configured key (a key was dropped too soon)."""


def parse_keys(setting: str | None) -> list[Fernet]:
    """The Fernet keys of a comma-separated setting, first (encrypting) key first."""
    parts = [part.strip() for part in (setting or "").split(",") if part.strip()]
    if not parts:
        raise TokenKeyError("TOKEN_ENCRYPTION_KEY is empty: set at least one Fernet key.")
    try:
        return [Fernet(part) for part in parts]
    except (ValueError, TypeError) as exc:
        raise TokenKeyError(
            "TOKEN_ENCRYPTION_KEY must hold Fernet keys (32 url-safe base64 bytes), "
            "separated by commas; generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`."
        ) from exc


def check_config(config: Mapping[str, Any]) -> None:
    """Fail at start-up, not at the first token, when the key setting is unusable."""
    parse_keys(config.get("TOKEN_ENCRYPTION_KEY"))


def _fernet() -> MultiFernet:
    # Built per call from the app's configuration: cheap, and never stale across apps.
    return MultiFernet(parse_keys(current_app.config.get("TOKEN_ENCRYPTION_KEY")))


def encrypt(plaintext: str) -> str:
    """Encrypt a token with the first configured key."""
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """Decrypt a token with whichever configured key made it."""
    try:
        return _fernet().decrypt(ciphertext.encode("ascii")).decode()
    except InvalidToken as exc:
        raise TokenDecryptError(
            "A stored Google token cannot be decrypted with TOKEN_ENCRYPTION_KEY."
        ) from exc


def encrypt_optional(plaintext: str | None) -> str | None:
    """encrypt(), passing None through."""
    return None if plaintext is None else encrypt(plaintext)


def decrypt_optional(ciphertext: str | None) -> str | None:
    """decrypt(), passing None through."""
    return None if ciphertext is None else decrypt(ciphertext)


def rotate(ciphertext: str) -> str:
    """Re-encrypt a token under the first key (MultiFernet keeps its original timestamp)."""
    try:
        return _fernet().rotate(ciphertext.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise TokenDecryptError(
            "A stored Google token cannot be decrypted with TOKEN_ENCRYPTION_KEY."
        ) from exc
