"""A coordinator's Google connection: connect, reconnect, choose a calendar, privacy level.

Plain functions over explicit arguments. They flush; the request or the job commits.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, or_, select, update

from portal.extensions import db
from portal.google.account.clients import client_for, fresh_client
from portal.google.account.crypto import TokenDecryptError
from portal.google.account.oauth import (
    CALENDAR_APP_CREATED,
    CALENDAR_EVENTS,
    STATE_TTL_SECONDS,
    Authorization,
    missing_scopes,
)
from portal.google.account.tokens import (
    ReconnectNeeded,
    save_token_answer,
    wipe_tokens,
)
from portal.google.api.client import CalendarClient
from portal.google.api.errors import GoogleApiError
from portal.google.sync.activity import log_activity
from portal.google.sync.outbox import requeue_linked_events
from portal.models import PRIVACY_LEVELS, EventLink, GoogleConnection, User, WatchChannel
from portal.models.google import CALENDAR_GONE
from portal.models.types import utcnow

log = logging.getLogger(__name__)

DEDICATED_CALENDAR_NAME = "Coordinoter"
WRITABLE_ROLES = ("owner", "writer")
# A sign-in or a disconnect that has not finished after this long is treated as abandoned.
STALE_AFTER = timedelta(seconds=STATE_TTL_SECONDS)

SCOPE_MESSAGES = {
    CALENDAR_EVENTS: (
        "Coordinoter needs permission to see and edit events in your Google Calendar to keep "
        "both calendars in step. Please sign in again and leave “View and edit events” ticked."
    ),
    "default": (
        "Coordinoter needs permission to see your list of Google calendars, so you can choose "
        "which one to sync. Please sign in again and leave every box ticked."
    ),
}
NO_REFRESH_TOKEN = (
    "Google did not give Coordinoter lasting access, so sync would stop within the hour. "
    "Please sign in with Google again and allow access on the consent screen."
)
ALREADY_LINKED = (
    "The Google account {email} is already connected to another Coordinoter user. "
    "Each Google account can sync with one coordinator; choose a different account."
)
DIFFERENT_ACCOUNT = (
    "You chose the Google account {chosen}, but this calendar sync uses {current}. "
    "Nothing was changed."
)
APP_CREATED_MESSAGE = (
    "Coordinoter needs permission to create its own calendar for that. Nothing was changed; "
    "sync keeps using {calendar}."
)
GOOGLE_TROUBLE = (
    "Google did not answer while we were setting up the sync. Nothing was changed; please try "
    "again in a minute."
)
TOKENS_UNREADABLE = (
    "Coordinoter could not use its stored access to Google. Nothing was changed; please "
    "sign in with Google again (Disconnect, then Sign in with Google)."
)
STILL_DISCONNECTING = (
    "Coordinoter is still disconnecting from Google. Please wait a moment and try again."
)


class ConnectionRefused(Exception):
    """The connection cannot go ahead; `message` says why, in the coordinator's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def get_connection(user_id: int) -> GoogleConnection | None:
    """The coordinator's connection row (there is at most one), if any."""
    return db.session.scalar(select(GoogleConnection).where(GoogleConnection.user_id == user_id))


def disconnect_pending(connection: GoogleConnection) -> bool:
    """Whether a disconnect was asked for and the job has not finished it yet."""
    has_tokens = bool(connection.access_token_enc or connection.refresh_token_enc)
    return connection.state == "disconnected" and has_tokens


def is_stale(connection: GoogleConnection) -> bool:
    """Whether the row has not changed for longer than a sign-in may take."""
    return connection.updated_at is None or connection.updated_at < utcnow() - STALE_AFTER


# --------------------------------------------------------------------------- connecting


def start_connection(user: User) -> GoogleConnection:
    """Get the coordinator's row ready for a sign-in; a fresh or disconnected row is connecting."""
    connection = get_connection(user.id)
    if connection is None:
        connection = GoogleConnection(user_id=user.id, business_id=user.business_id)
        db.session.add(connection)
    elif disconnect_pending(connection):
        if not is_stale(connection):
            # Revoking the old grant after this sign-in would revoke the new one too.
            raise ConnectionRefused(STILL_DISCONNECTING)
        log.warning("connection %s: abandoning a disconnect that never finished", connection.id)
        wipe_tokens(connection)
    if connection.state in ("disconnected", "connecting"):
        connection.state = "connecting"
        connection.updated_at = utcnow()
    db.session.flush()
    return connection


def record_connect_failure(user: User, message: str) -> GoogleConnection | None:
    """A sign-in ended without connecting: say why; an unfinished connect is not connected."""
    connection = get_connection(user.id)
    if connection is None:
        return None
    if connection.state == "connecting":
        connection.state = "disconnected"
    connection.last_error = message
    connection.last_error_at = utcnow()
    log_activity(connection, "connect", message, outcome="failed")
    return connection


def complete_connection(user: User, authorization: Authorization) -> GoogleConnection:
    """Store a successful sign-in: tokens, account, target calendar; state importing."""
    token, info = authorization.token, authorization.userinfo
    missing = missing_scopes(authorization.granted_scopes)
    if missing:
        raise ConnectionRefused(SCOPE_MESSAGES.get(missing[0], SCOPE_MESSAGES["default"]))
    sub, email = str(info["sub"]), info.get("email") or ""
    if _linked_elsewhere(sub, user.id):
        raise ConnectionRefused(ALREADY_LINKED.format(email=email or "you chose"))
    connection = get_connection(user.id) or _new_row(user)
    same_account = connection.google_sub == sub
    if not token.get("refresh_token") and not (same_account and connection.refresh_token_enc):
        raise ConnectionRefused(NO_REFRESH_TOKEN)
    calendars = _list_writable(fresh_client(token["access_token"]))
    # Reconnecting the same account keeps its calendar (and so its links) if it still exists.
    kept = [c for c in calendars if same_account and c["id"] == connection.calendar_id]
    target = kept[0] if kept else _primary(calendars, email)

    # Everything is checked; from here on the row changes.
    if connection.google_sub and not same_account:
        _forget_previous_account(connection, email)
    save_token_answer(connection, token)
    connection.google_sub, connection.google_email = sub, email
    connection.scopes = " ".join(sorted(authorization.granted_scopes))
    if target["id"] != connection.calendar_id:
        connection.sync_token = None
    connection.calendar_id = target["id"]
    connection.calendar_summary = target.get("summary") or target["id"]
    connection.state = "importing"
    connection.import_count = 0
    connection.last_error = connection.last_error_at = None
    db.session.flush()
    log_activity(
        connection, "connect", f"Connected {email}; syncing with “{connection.calendar_summary}”."
    )
    return connection


def complete_dedicated_calendar(user: User, authorization: Authorization) -> GoogleConnection:
    """After the incremental sign-in: create the “Coordinoter” calendar and sync with it."""
    connection = get_connection(user.id)
    if connection is None or not connection.may_choose_calendar:
        raise ConnectionRefused("Connect Google Calendar first, then choose a calendar.")
    chosen = authorization.userinfo.get("email") or "another account"
    if str(authorization.userinfo["sub"]) != connection.google_sub:
        raise ConnectionRefused(
            DIFFERENT_ACCOUNT.format(chosen=chosen, current=connection.google_email)
        )
    if missing_scopes(authorization.granted_scopes, (CALENDAR_APP_CREATED,)):
        raise ConnectionRefused(
            APP_CREATED_MESSAGE.format(calendar=connection.calendar_summary or "your calendar")
        )
    create_dedicated_calendar(user, connection, fresh_client(authorization.token["access_token"]))
    save_token_answer(connection, authorization.token)
    connection.scopes = " ".join(sorted(authorization.granted_scopes))
    return connection


def create_dedicated_calendar(
    user: User, connection: GoogleConnection, client: CalendarClient | None = None
) -> GoogleConnection:
    """Create a “Coordinoter” calendar in the coordinator's zone and sync with it."""
    client = client or client_for(connection)
    try:
        created = client.insert_calendar(DEDICATED_CALENDAR_NAME, user.time_zone)
    except (GoogleApiError, ReconnectNeeded) as exc:
        raise ConnectionRefused(GOOGLE_TROUBLE) from exc
    choose_calendar(connection, created["id"], created.get("summary") or DEDICATED_CALENDAR_NAME)
    return connection


def has_scope(connection: GoogleConnection, scope: str) -> bool:
    """Whether the stored grant includes a scope."""
    return scope in (connection.scopes or "").split()


def _new_row(user: User) -> GoogleConnection:
    connection = GoogleConnection(user_id=user.id, business_id=user.business_id)
    db.session.add(connection)
    db.session.flush()
    return connection


def _linked_elsewhere(sub: str, user_id: int) -> bool:
    stmt = select(GoogleConnection.id).where(
        GoogleConnection.google_sub == sub,
        GoogleConnection.user_id != user_id,
        or_(
            GoogleConnection.is_linked,
            GoogleConnection.refresh_token_enc.is_not(None),
        ),
    )
    return db.session.scalar(stmt.limit(1)) is not None


def _forget_previous_account(connection: GoogleConnection, new_email: str) -> None:
    # The links point at events in the old account's calendar; reusing them against the new
    # account would patch ids that do not exist there. Dropping them makes every portal event
    # "never synced", so the import copies it to the new account.
    old = connection.google_email or "the previous Google account"
    db.session.execute(delete(EventLink).where(EventLink.connection_id == connection.id))
    db.session.execute(
        update(WatchChannel)
        .where(WatchChannel.connection_id == connection.id, WatchChannel.stopped_at.is_(None))
        .values(stopped_at=utcnow())
    )
    connection.sync_token = None
    connection.calendar_id = connection.calendar_summary = None
    log_activity(
        connection,
        "connect",
        f"Switched from {old} to {new_email}: events will be copied to the new account.",
    )


# --------------------------------------------------------------------------- calendars


def _list_writable(client: CalendarClient) -> list[dict]:
    try:
        entries = client.list_calendars()
    except (GoogleApiError, ReconnectNeeded) as exc:
        raise ConnectionRefused(GOOGLE_TROUBLE) from exc
    except TokenDecryptError as exc:
        log.error("stored tokens unreadable: %s", exc)
        raise ConnectionRefused(TOKENS_UNREADABLE) from exc
    writable = [e for e in entries if e.get("accessRole") in WRITABLE_ROLES and e.get("id")]
    return sorted(writable, key=lambda e: (not e.get("primary"), (e.get("summary") or "").lower()))


def writable_calendars(connection: GoogleConnection) -> list[dict]:
    """The account's calendars Coordinoter may write to, primary first."""
    return _list_writable(client_for(connection))


def _primary(calendars: list[dict], email: str) -> dict:
    for entry in calendars:
        if entry.get("primary"):
            return entry
    # Google's primary calendar id is the account's email address.
    return next((c for c in calendars if c["id"] == email), {"id": email, "summary": email})


def choose_calendar(connection: GoogleConnection, calendar_id: str, summary: str) -> bool:
    """Sync with another calendar: forget the sync token and import it; True if it changed.

    After the calendar was lost, choosing one (the same one, back again, included) resumes:
    the changes that waited meanwhile go to it with the import.
    """
    resuming, same = connection.state == CALENDAR_GONE, calendar_id == connection.calendar_id
    if same and not resuming:
        return False
    old = connection.calendar_summary or connection.calendar_id or "no calendar"
    connection.calendar_id = calendar_id
    connection.calendar_summary = summary
    connection.sync_token = None
    connection.import_count = 0
    connection.state = "importing"
    if resuming:
        # The card's “calendar gone” message: no longer true.
        connection.last_error = connection.last_error_at = None
    db.session.flush()
    if same:
        message = f"Syncing with “{summary}” again; the changes kept meanwhile go to it."
    else:
        message = f"Sync calendar changed from “{old}” to “{summary}”."
    log_activity(connection, "connect", message)
    return True


def set_privacy_level(connection: GoogleConnection, level: str) -> int | None:
    """Change what the portal sends to Google: None if unchanged, else how many events
    are sent again in the new shape."""
    if level not in PRIVACY_LEVELS:
        raise ValueError(f"unknown privacy level {level!r}")
    if level == connection.privacy_level:
        return None
    connection.privacy_level = level
    db.session.flush()
    updated = requeue_linked_events(connection)
    log_activity(connection, "connect", f"Privacy level set to “{PRIVACY_LEVELS[level]}”.")
    return updated
