"""A connection's OAuth tokens: stored encrypted, refreshed once, shared by every worker.

`ConnectionTokens(connection_id)` is the token source the Calendar client calls. Refreshes
run in their own short transaction (their own database connection) and commit at once, so
other workers see the new token. Two workers never both refresh: the refresh takes a row
lock (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite, which has no row locks, a no-op UPDATE
takes the database write lock first) and re-reads the row; if someone refreshed while it
waited, it uses that token.

Rule for callers: do not call Google while holding a flushed, uncommitted change to the same
google_connection row; the refresh would wait for a lock the caller itself holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, object_session

from portal.extensions import db
from portal.google.account.crypto import decrypt_optional, encrypt, rotate
from portal.google.account.incidents import open_incident
from portal.google.api.token_endpoint import InvalidGrant, TokenEndpointError, request_refresh
from portal.models import GoogleConnection, SyncLog
from portal.models.types import utcnow

# Refresh this long before Google's expiry, so a token never dies in the middle of a call.
REFRESH_MARGIN = timedelta(seconds=60)
# A refresh waits this long for another worker's refresh (PostgreSQL lock_timeout).
LOCK_WAIT = "20s"

INVALID_GRANT_MESSAGE = (
    "Google no longer accepts Coordinoter's access to {account} (access was removed, it "
    "expired, or the Google password changed). Sync has stopped: press Reconnect and sign in "
    "with Google again. Your events in both calendars are safe."
)
NO_REFRESH_TOKEN_MESSAGE = (
    "Coordinoter has no lasting access to {account}. Sync has stopped: press Reconnect and "
    "sign in with Google again."
)


class ReconnectNeeded(Exception):
    """The coordinator must sign in with Google again; retrying will not help."""


class StaticTokens:
    """A token source for a token just received in the OAuth callback (not yet stored)."""

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def access_token(self) -> str:
        """The token we were given."""
        return self._token

    def refresh(self) -> str:
        """A brand-new token that Google rejects cannot be fixed by refreshing."""
        raise ReconnectNeeded("Google rejected the access token it has just issued.")


class ConnectionTokens:
    """The token source of one stored connection (safe to use from many workers)."""

    def __init__(
        self, connection_id: int, stored: tuple[str | None, datetime | None] | None = None
    ) -> None:
        self.connection_id = connection_id
        self._token: str | None = None
        self._expires_at: datetime | None = None
        # (encrypted token, expiry) of a row the caller has just read (a sync job's own),
        # so the first call needs no read of its own; used once, decrypted only if needed.
        self._stored = stored

    def access_token(self) -> str:
        """A valid access token, refreshed shortly before it expires."""
        if self._token and _fresh(self._expires_at):
            return self._token
        stored, self._stored = self._stored, None
        if stored is not None and stored[0] and _fresh(stored[1]):
            token = decrypt_optional(stored[0])
            if token:
                return self._remember(token, stored[1])
        with _own_session() as session:
            row = _load(session, self.connection_id)
            token = decrypt_optional(row.access_token_enc)
            if token and _fresh(row.token_expires_at):
                return self._remember(token, row.token_expires_at)
        return self._refresh(rejected=None)

    def refresh(self) -> str:
        """Force a refresh (after Google answered 401 to the token we handed out)."""
        return self._refresh(rejected=self._token)

    def _remember(self, token: str, expires_at: datetime | None) -> str:
        self._token, self._expires_at = token, expires_at
        return token

    def _refresh(self, rejected: str | None) -> str:
        try:
            token, problem = self._refresh_locked(rejected)
        except OperationalError as exc:
            # The row stayed locked longer than LOCK_WAIT (or SQLite's busy timeout).
            raise TokenEndpointError(503, "tokenLockTimeout", str(exc.orig)) from exc
        if token is None:
            # Committed already, so every worker and the card see it; now stop the retries.
            self._token = None
            raise ReconnectNeeded(problem)
        return token

    def _refresh_locked(self, rejected: str | None) -> tuple[str | None, str | None]:
        with _own_session() as session, session.begin():
            row = _lock(session, self.connection_id)
            current = decrypt_optional(row.access_token_enc)
            if current and current != rejected and _fresh(row.token_expires_at):
                # Another worker refreshed while we waited for the lock: use its token.
                return self._remember(current, row.token_expires_at), None
            refresh_token = decrypt_optional(row.refresh_token_enc)
            template = NO_REFRESH_TOKEN_MESSAGE
            if refresh_token:
                try:
                    answer = _refresh_answer(refresh_token)
                except InvalidGrant:
                    template = INVALID_GRANT_MESSAGE
                else:
                    save_token_answer(row, answer)
                    return self._remember(answer["access_token"], row.token_expires_at), None
            problem = template.format(account=row.google_email or "your Google account")
            mark_needs_reconnect(row, problem)
            return None, problem


def _refresh_answer(refresh_token: str) -> dict[str, Any]:
    config = current_app.config
    return request_refresh(
        config["GOOGLE_TOKEN_URI"],
        config.get("GOOGLE_CLIENT_ID") or "",
        config.get("GOOGLE_CLIENT_SECRET") or "",
        refresh_token,
    )


def save_token_answer(connection: GoogleConnection, answer: dict[str, Any]) -> None:
    """Store a token answer encrypted; keep the old refresh token when none came back."""
    connection.access_token_enc = encrypt(answer["access_token"])
    connection.token_expires_at = expiry_of(answer)
    if answer.get("refresh_token"):
        connection.refresh_token_enc = encrypt(answer["refresh_token"])


def expiry_of(answer: dict[str, Any]) -> datetime:
    """When an access token expires (`expires_in` may be a string; default one hour)."""
    try:
        seconds = int(answer.get("expires_in") or 3600)
    except (TypeError, ValueError):
        seconds = 3600
    return utcnow() + timedelta(seconds=seconds)


def wipe_tokens(connection: GoogleConnection) -> None:
    """Forget the access and refresh tokens."""
    connection.access_token_enc = None
    connection.refresh_token_enc = None
    connection.token_expires_at = None


def stored_tokens(connection: GoogleConnection) -> tuple[str | None, str | None]:
    """The decrypted (access, refresh) tokens of a connection, for revoking them."""
    return decrypt_optional(connection.access_token_enc), decrypt_optional(
        connection.refresh_token_enc
    )


def mark_needs_reconnect(connection: GoogleConnection, message: str) -> None:
    """Stop syncing until the coordinator signs in again; says why, in the activity log too."""
    session = object_session(connection) or db.session
    connection.state = "needs_reconnect"
    connection.last_error = message
    connection.last_error_at = utcnow()
    # The tokens are dead; keeping them would only let a later refresh fail again.
    wipe_tokens(connection)
    session.add(
        SyncLog(
            connection_id=connection.id,
            user_id=connection.user_id,
            kind="error",
            outcome="needs_reconnect",
            message=message,
        )
    )
    session.flush()
    open_incident(connection, "needs_reconnect")  # one email to the coordinator, not per job


def reencrypt_all_tokens() -> int:
    """Re-encrypt every stored token under the first TOKEN_ENCRYPTION_KEY; flushes."""
    count = 0
    for connection in db.session.scalars(select(GoogleConnection)):
        for column in ("access_token_enc", "refresh_token_enc"):
            value = getattr(connection, column)
            if value:
                setattr(connection, column, rotate(value))
                count += 1
    db.session.flush()
    return count


def _fresh(expires_at: datetime | None) -> bool:
    return expires_at is not None and expires_at - REFRESH_MARGIN > utcnow()


@contextmanager
def _own_session() -> Iterator[Session]:
    # Its own connection, so a refresh commits without committing the caller's work.
    session = Session(db.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def _load(session: Session, connection_id: int) -> GoogleConnection:
    return _usable(session.get(GoogleConnection, connection_id))


def _usable(row: GoogleConnection | None) -> GoogleConnection:
    """The row, unless it is gone or waits for a reconnect (ReconnectNeeded)."""
    if row is None:
        raise ReconnectNeeded("This Google connection no longer exists.")
    if row.state == "needs_reconnect":
        raise ReconnectNeeded(row.last_error or "Google Calendar needs to be reconnected.")
    return row


def _lock(session: Session, connection_id: int) -> GoogleConnection:
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: a no-op write takes the database write lock right away.
        session.execute(
            update(GoogleConnection)
            .where(GoogleConnection.id == connection_id)
            .values(token_expires_at=GoogleConnection.token_expires_at)
        )
    else:
        # A refresh stuck behind a lock the caller itself holds fails instead of hanging.
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
    row = session.scalars(
        select(GoogleConnection)
        .where(GoogleConnection.id == connection_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    return _usable(row)
