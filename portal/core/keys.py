"""Secrets that are never public: random development keys per checkout, weak keys refused.

`make run` (COORDINOTER_ENV=development) uses keys generated once per checkout and kept in
instance/development-keys.json (git-ignored, readable by the owner only); every process of
the checkout (web, worker, clock, flask commands) reads the same file. Production takes its
keys from the environment and refuses to start with one that is short or publicly known.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

KEYS_FILE = "development-keys.json"
MIN_SECRET_KEY_LENGTH = 32
# Values that were ever published with the project, or that people type when asked for one.
KNOWN_WEAK = frozenset(
    {
        "dev-only-not-secret",
        "test-secret",
        "ZGV2LW9ubHktdG9rZW4ta2V5LW5vdC1zZWNyZXQtMDA=",
        "secret",
        "changeme",
        "development",
    }
)


def development_keys(instance_path: str) -> dict[str, str]:
    """SECRET_KEY and TOKEN_ENCRYPTION_KEY of this checkout, generated on first use."""
    path = Path(instance_path) / KEYS_FILE
    if not path.exists():
        _create_once(path)
    return json.loads(path.read_text())


def _create_once(path: Path) -> None:
    # Web, worker and clock start together: the first link wins, the others read its keys.
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".keys-")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(keys, handle)
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def weak_key_problems(config: Mapping[str, Any]) -> list[str]:
    """Why the configured keys are not fit for production (empty when they are)."""
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if len(secret) < MIN_SECRET_KEY_LENGTH or len(set(secret)) < 10:
        problems.append(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    elif secret in KNOWN_WEAK:
        problems.append("SECRET_KEY is a publicly known value")
    token_keys = [k.strip() for k in (config.get("TOKEN_ENCRYPTION_KEY") or "").split(",")]
    if any(key in KNOWN_WEAK for key in token_keys):
        problems.append("TOKEN_ENCRYPTION_KEY holds a publicly known key")
    return problems
