"""“Check my connection”: live checks of one coordinator's Google Calendar sync, in plain words.

Each check says what it found and, when it fails, what to do. Google is asked once (the
calendar entry, which also proves the access token), without retries and with a short timeout:
a person is waiting, and whatever Google answers must become a message, never an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, select

from portal.core.queue import redis_connection
from portal.extensions import db
from portal.google.account.connection import get_connection
from portal.google.account.lost_calendar import lost_calendar_message
from portal.google.account.oauth import is_configured
from portal.google.account.tokens import ConnectionTokens, ReconnectNeeded
from portal.google.api.client import CalendarClient
from portal.google.api.errors import GoogleApiError
from portal.google.intervals import CHANNELS_EVERY, SAFETY_NET_AFTER, in_words
from portal.google.realtime.address import webhook_address, webhook_reach
from portal.google.realtime.channels import live_channels
from portal.google.realtime.heard import last_heard_at
from portal.google.sync.skipped import open_skips
from portal.models import GoogleConnection, User, WatchChannel, utcnow
from portal.models.google import CALENDAR_GONE

log = logging.getLogger(__name__)

# Seconds to wait for Google's answer; the sync jobs wait longer, but nobody watches them.
CHECK_TIMEOUT = 10.0

CONFIGURED = "Google Calendar is set up on this server"
CONNECTED = "Your Google account is connected"
TOKEN = "Google accepts Coordinoter's access"
CALENDAR = "Your calendar is reachable"
CHANNEL = "Live updates from Google are on"
LAST_NOTICE = "Last change notice from Google"
WEBHOOK = "Google can reach this server"
ALL_IN = "Every Google event was brought in"

GOOGLE_SILENT = "Google did not answer; try again in a minute."
ON_THE_CARD = "Open Business Portal → Manage Integrations and look at the Google Calendar card."
RECONNECT = "Open Business Portal → Manage Integrations and press Reconnect on the Google card."
CHOOSE_CALENDAR = (
    "Open Business Portal → Manage Integrations and press “Choose another calendar” on the "
    "Google card (choose the same one if it is back in Google)."
)
SAFETY_NET = f"Changes made in Google still arrive within about {in_words(SAFETY_NET_AFTER)}."
CHANNELS_AGAIN = in_words(CHANNELS_EVERY)


@dataclass(frozen=True)
class Check:
    """One check's result: what was checked, whether it passed, what was found, what to do."""

    name: str
    ok: bool
    detail: str
    advice: str = ""


def run_checks(user: User, timeout: float = CHECK_TIMEOUT) -> list[Check]:
    """Every check for this coordinator, in order; later ones only when earlier ones allow."""
    config = current_app.config
    checks = [check_configured(config)]
    if checks[0].ok:
        connection = get_connection(user.id)
        checks.append(check_connected(connection))
        if connection is not None and checks[-1].ok:
            checks += check_google(connection, config, timeout)
            checks.append(check_channel(connection))
            checks.append(check_last_notice(connection))
            # Shown only when it fails: a healthy sync has nothing to say here.
            skipped = check_skipped(connection)
            if skipped is not None:
                checks.append(skipped)
    checks.append(check_webhook(config))
    return checks


def check_configured(config: Mapping[str, Any]) -> Check:
    """Whether this server has Google OAuth client credentials."""
    if is_configured(config):
        return Check(CONFIGURED, True, "This server has a Google OAuth client.")
    return Check(
        CONFIGURED,
        False,
        "This server has no Google OAuth client, so nobody here can connect Google Calendar.",
        "Whoever runs Coordinoter must set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET "
        "(an OAuth client of type “Web application” in Google Cloud) and restart.",
    )


def check_connected(connection: GoogleConnection | None) -> Check:
    """Whether the coordinator has a connection that syncs (connected or importing)."""
    if connection is not None and connection.is_active:
        doing = " (the first import is still running)" if connection.state == "importing" else ""
        return Check(CONNECTED, True, f"Connected to {connection.google_email}{doing}.")
    if connection is not None and connection.state == "needs_reconnect":
        reason = connection.last_error or "Google no longer accepts Coordinoter's access."
        return Check(CONNECTED, False, reason, RECONNECT)
    if connection is not None and connection.state == CALENDAR_GONE:
        reason = connection.last_error or lost_calendar_message(connection)
        return Check(CONNECTED, False, reason, CHOOSE_CALENDAR)
    if connection is not None and connection.state == "connecting":
        return Check(
            CONNECTED,
            False,
            "Signing in with Google was started but not finished.",
            "Open Business Portal → Manage Integrations and press Sign in with Google again.",
        )
    return Check(
        CONNECTED,
        False,
        "Google Calendar is not connected, so nothing is synced.",
        "Open Business Portal → Manage Integrations and press Sign in with Google.",
    )


def check_google(
    connection: GoogleConnection, config: Mapping[str, Any], timeout: float
) -> list[Check]:
    """The token and calendar checks: the one call to Google is what proves the token."""
    tokens = ConnectionTokens(connection.id)
    token = check_token(connection, tokens)
    if not token.ok:
        return [token]
    # No retries: a person is waiting, and the advice for a failure is "try again".
    client = CalendarClient.from_config(
        {**config, "GOOGLE_HTTP_RETRIES": 0, "GOOGLE_HTTP_TIMEOUT": timeout}, tokens
    )
    try:
        return [token, check_calendar(connection, client)]
    except ReconnectNeeded as exc:
        # A revoked grant shows only now: Google answered 401 and the refresh got invalid_grant.
        return [_token_refused(exc)]


def check_token(connection: GoogleConnection, tokens: ConnectionTokens) -> Check:
    """Whether Coordinoter has an access token (refreshing it if it is about to expire)."""
    try:
        tokens.access_token()
    except ReconnectNeeded as exc:
        return _token_refused(exc)
    except GoogleApiError as exc:
        return Check(TOKEN, False, _unanswered(exc))
    except Exception:  # e.g. a token no configured key decrypts: still a message, not a 500
        log.exception("could not read the stored tokens of connection %s", connection.id)
        return Check(TOKEN, False, "Coordinoter could not use its stored access.", RECONNECT)
    return Check(TOKEN, True, f"Coordinoter holds valid access to {connection.google_email}.")


def check_calendar(connection: GoogleConnection, client: CalendarClient) -> Check:
    """Whether Google lets the coordinator write to the synced calendar; may raise
    ReconnectNeeded (the token was refused and could not be refreshed)."""
    if not connection.calendar_id:
        return Check(CALENDAR, False, "No calendar is chosen for sync.", ON_THE_CARD)
    try:
        entry = client.get_calendar_entry(connection.calendar_id)
    except GoogleApiError as exc:
        return _calendar_failed(connection, exc)
    except ReconnectNeeded:
        raise
    except Exception:  # a garbled answer must still become a message, not an error page
        log.exception("unexpected answer from Google for connection %s", connection.id)
        return Check(CALENDAR, False, "Google's answer made no sense.", GOOGLE_SILENT)
    name = entry.get("summary") or connection.calendar_summary or connection.calendar_id
    if entry.get("accessRole") not in (None, "owner", "writer"):
        return _read_only(name)
    return Check(CALENDAR, True, f"Coordinoter can read and write “{name}”.")


def _token_refused(exc: ReconnectNeeded) -> Check:
    detail = str(exc) or "Google no longer accepts Coordinoter's access."
    return Check(TOKEN, False, detail, RECONNECT)


def _unanswered(exc: GoogleApiError) -> str:
    if exc.status == 429 or (exc.status == 403 and exc.retryable):
        return "Google is limiting requests right now; try again in a minute."
    return GOOGLE_SILENT


def _read_only(name: str) -> Check:
    return Check(
        CALENDAR,
        False,
        f"You can only see “{name}”, so portal events cannot be written to it.",
        "Ask the calendar's owner to let you “Make changes to events”, or choose another "
        "calendar on the Google Calendar card.",
    )


def _calendar_failed(connection: GoogleConnection, exc: GoogleApiError) -> Check:
    name = connection.calendar_summary or connection.calendar_id
    if exc.retryable:
        return Check(CALENDAR, False, _unanswered(exc))
    if exc.status == 404:
        return Check(
            CALENDAR,
            False,
            f"Google says the calendar “{name}” no longer exists or is no longer yours.",
            "Choose another calendar on the Google Calendar card (Business Portal → "
            "Manage Integrations), or ask its owner to share it with you again.",
        )
    if exc.status in (401, 403):
        return Check(
            CALENDAR,
            False,
            f"Google refused access to “{name}” ({exc.message or exc.reason}).",
            "If the calendar is someone else's, ask them to let you “Make changes to events”. "
            "Otherwise press Reconnect on the Google card and leave the calendar boxes ticked.",
        )
    return Check(
        CALENDAR,
        False,
        f"Google answered {exc.status} {exc.reason}".rstrip() + ".",
        "Try again in a minute. " + ON_THE_CARD,
    )


def check_channel(connection: GoogleConnection) -> Check:
    """Whether Google has a confirmed watch channel that notifies us of changes."""
    channels = live_channels(connection.id)
    if any(channel.live_at is not None for channel in channels):
        return Check(CHANNEL, True, "Google tells Coordinoter about each change within seconds.")
    if connection.polling_only:
        return Check(
            CHANNEL,
            False,
            f"Google refused live updates for this calendar. {SAFETY_NET}",
            f"If “{WEBHOOK}” below fails, that is why. Otherwise nothing is needed: "
            f"Coordinoter asks Google again every {CHANNELS_AGAIN}. Press Sync now on the Google "
            "card to fetch changes at once.",
        )
    if connection.state == "importing":
        return Check(CHANNEL, False, "Live updates start when the first import finishes.")
    if channels:
        return Check(
            CHANNEL,
            False,
            f"Coordinoter asked Google for live updates, but Google's confirmation has not "
            f"reached this server. {SAFETY_NET}",
            f"See the check “{WEBHOOK}” below.",
        )
    return Check(
        CHANNEL,
        False,
        f"Live updates are off. {SAFETY_NET}",
        f"Coordinoter switches them on again within {CHANNELS_AGAIN}. Press Sync now on the Google "
        "card to fetch changes at once.",
    )


def check_last_notice(connection: GoogleConnection) -> Check:
    """When Google last told us about a change (information, never a failure)."""
    times = [
        db.session.scalar(
            select(func.max(WatchChannel.last_notification_at)).where(
                WatchChannel.connection_id == connection.id
            )
        )
    ]
    # The webhook notes it in Redis; the channel row learns it at the next pull.
    with suppress(RedisError):
        times.append(last_heard_at(redis_connection(), connection.id))
    times = [value for value in times if value is not None]
    if not times:
        return Check(
            LAST_NOTICE,
            True,
            "None yet. Google sends one when an event changes in your Google Calendar.",
        )
    return Check(LAST_NOTICE, True, f"Received {age_in_words(max(times), utcnow())}.")


def check_skipped(connection: GoogleConnection) -> Check | None:
    """A failed check naming the Google events the sync had to leave out; None if none."""
    rows = open_skips(connection)
    if not rows:
        return None
    count = len(rows)
    named = "; ".join(f"“{row.detail['title']}” — {row.detail['reason']}" for row in rows[:3])
    more = f"; and {count - 3} more" if count > 3 else ""
    return Check(
        ALL_IN,
        False,
        f"{count} Google event{'' if count == 1 else 's'} could not be brought in: "
        f"{named}{more}. Everything else syncs as usual.",
        "Change or delete "
        + ("that event" if count == 1 else "those events")
        + " in Google Calendar and Coordinoter tries again. The Google card lists them.",
    )


def check_webhook(config: Mapping[str, Any]) -> Check:
    """Whether Google can deliver notifications here: it only posts to https addresses."""
    address = webhook_address(config)
    reach = webhook_reach(config)
    if reach == "https":
        return Check(WEBHOOK, True, f"Google sends change notices to {address}.")
    if reach == "emulator":
        return Check(
            WEBHOOK,
            True,
            f"{address} is not https: fine for the Google emulator on this development "
            "server, but real Google needs https.",
        )
    return Check(
        WEBHOOK,
        False,
        f"PUBLIC_BASE_URL is {config['PUBLIC_BASE_URL']}, not https, so Google will not deliver "
        f"change notices to {address}. {SAFETY_NET}",
        "Whoever runs Coordinoter must set the PUBLIC_BASE_URL environment variable to the "
        "portal's public https address (for example https://portal.example.com.au, with a "
        "valid certificate) and restart the web and worker processes.",
    )


def age_in_words(then: datetime, now: datetime) -> str:
    """“just now”, “3 minutes ago”, “2 days ago”."""
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"
