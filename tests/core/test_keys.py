"""Development keys are random per checkout; production refuses weak or public keys."""

from __future__ import annotations

import secrets
import stat

import pytest
from cryptography.fernet import Fernet

from portal.config import ConfigError, load_config
from portal.core.keys import KEYS_FILE, KNOWN_WEAK, _create_once

GOOD = {
    "COORDINOTER_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(48),
    "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
}


def test_development_keys_are_random_per_checkout_and_kept(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    a = load_config({"COORDINOTER_ENV": "development"}, str(first))
    again = load_config({"COORDINOTER_ENV": "development"}, str(first))
    b = load_config({"COORDINOTER_ENV": "development"}, str(second))
    for key in ("SECRET_KEY", "TOKEN_ENCRYPTION_KEY"):
        assert a[key] == again[key]
        assert a[key] != b[key]
        assert a[key] not in KNOWN_WEAK
    Fernet(a["TOKEN_ENCRYPTION_KEY"])
    assert stat.S_IMODE((first / KEYS_FILE).stat().st_mode) == 0o600


def test_a_second_process_keeps_the_first_ones_keys(tmp_path):
    keys = load_config({"COORDINOTER_ENV": "development"}, str(tmp_path))
    _create_once(tmp_path / KEYS_FILE)
    assert load_config({"COORDINOTER_ENV": "development"}, str(tmp_path)) == keys
    assert [p.name for p in tmp_path.iterdir()] == [KEYS_FILE]


def test_development_keys_from_the_environment_win(tmp_path):
    config = load_config({**GOOD, "COORDINOTER_ENV": "development"}, str(tmp_path))
    assert config["SECRET_KEY"] == GOOD["SECRET_KEY"]


def test_production_starts_with_strong_keys(tmp_path):
    assert load_config(GOOD, str(tmp_path))["SECRET_KEY"] == GOOD["SECRET_KEY"]


@pytest.mark.parametrize(
    "changes",
    [
        {"SECRET_KEY": "x"},
        {"SECRET_KEY": "short-but-not-empty"},
        {"SECRET_KEY": "a" * 64},
        {"SECRET_KEY": "dev-only-not-secret"},
        {"TOKEN_ENCRYPTION_KEY": "ZGV2LW9ubHktdG9rZW4ta2V5LW5vdC1zZWNyZXQtMDA="},
        {"TOKEN_ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},{sorted(KNOWN_WEAK)[0]}"},
        {"SECRET_KEY": ""},
    ],
)
def test_production_refuses_weak_or_public_keys(tmp_path, changes):
    with pytest.raises(ConfigError):
        load_config({**GOOD, **changes}, str(tmp_path))


def test_no_public_key_is_used_outside_tests(tmp_path):
    config = load_config({"COORDINOTER_ENV": "development"}, str(tmp_path))
    assert config["SECRET_KEY"] not in KNOWN_WEAK
