"""Tokens at rest: encrypted with MultiFernet, rotatable, and never stored in the clear."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import JSON, String, select, text
from sqlalchemy.engine import make_url

from portal.extensions import db
from portal.google.account import crypto
from portal.google.account.tokens import ConnectionTokens, reencrypt_all_tokens
from portal.models import GoogleConnection

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_a_token_round_trips_and_is_not_readable(app):
    app.config["TOKEN_ENCRYPTION_KEY"] = OLD_KEY
    sealed = crypto.encrypt("ya29.secret-access-token")
    assert "secret" not in sealed
    assert crypto.decrypt(sealed) == "ya29.secret-access-token"


def test_keys_rotate_new_first_old_still_decrypts(app):
    app.config["TOKEN_ENCRYPTION_KEY"] = OLD_KEY
    old = crypto.encrypt("1//refresh")
    app.config["TOKEN_ENCRYPTION_KEY"] = f"{NEW_KEY}, {OLD_KEY}"

    assert crypto.decrypt(old) == "1//refresh"
    rotated = crypto.rotate(old)
    app.config["TOKEN_ENCRYPTION_KEY"] = NEW_KEY
    assert crypto.decrypt(rotated) == "1//refresh"
    with pytest.raises(crypto.TokenDecryptError):
        crypto.decrypt(old)


def test_reencrypting_every_stored_token_lets_the_old_key_go(app, coordinator):
    app.config["TOKEN_ENCRYPTION_KEY"] = OLD_KEY
    connection = GoogleConnection(
        user_id=coordinator.id,
        business_id=coordinator.business_id,
        access_token_enc=crypto.encrypt("ya29.a"),
        refresh_token_enc=crypto.encrypt("1//r"),
    )
    db.session.add(connection)
    db.session.commit()
    app.config["TOKEN_ENCRYPTION_KEY"] = f"{NEW_KEY},{OLD_KEY}"

    assert reencrypt_all_tokens() == 2
    db.session.commit()

    app.config["TOKEN_ENCRYPTION_KEY"] = NEW_KEY
    db.session.expire_all()
    assert crypto.decrypt(connection.access_token_enc) == "ya29.a"
    assert crypto.decrypt(connection.refresh_token_enc) == "1//r"


@pytest.mark.parametrize(
    "setting", ["", "not-a-key", f"{NEW_KEY},short"], ids=["empty", "garbage", "one-bad-of-two"]
)
def test_an_unusable_key_setting_fails_at_start_up(setting):
    with pytest.raises(crypto.TokenKeyError):
        crypto.check_config({"TOKEN_ENCRYPTION_KEY": setting})


def _text_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | JSON):
                yield table, column


def test_raw_tokens_appear_nowhere_in_the_database(coordinator, connect_flow, db_backend):
    connect_flow.run()
    connection = db.session.scalars(select(GoogleConnection)).one()
    tokens = ConnectionTokens(connection.id)
    access = tokens.access_token()
    refresh = crypto.decrypt(connection.refresh_token_enc)
    secrets = [access, refresh, access[:24], refresh[:24]]

    # Every text column of every table, on either backend.
    for table, column in _text_columns():
        for value in db.session.execute(select(column)).scalars():
            if value is not None:
                assert not any(s in str(value) for s in secrets), f"{table.name}.{column.name}"

    # And the whole PostgreSQL database as pg_dump sees it.
    if db_backend == "postgresql" and shutil.which("pg_dump"):
        url = make_url(str(db.engine.url.render_as_string(hide_password=False)))
        url = url.set(drivername="postgresql")
        dump = subprocess.run(
            ["pg_dump", "--data-only", url.render_as_string(hide_password=False)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        assert connection.google_email in dump  # the dump did include the row
        assert not any(s in dump for s in secrets)


def test_sqlite_file_holds_no_raw_tokens(coordinator, connect_flow, db_backend):
    if db_backend != "sqlite":
        pytest.skip("the SQLite file check is for the SQLite backend")
    connect_flow.run()
    connection = db.session.scalars(select(GoogleConnection)).one()
    refresh = crypto.decrypt(connection.refresh_token_enc)
    db.session.execute(text("PRAGMA wal_checkpoint"))
    raw = Path(db.engine.url.database).read_bytes()
    assert refresh.encode() not in raw
