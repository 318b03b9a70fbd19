"""The emulator's state: users, clients, calendars and events, plus the controls tests use."""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import Any
from urllib.parse import quote

from . import ids, timefmt
from .channels import ChannelStore
from .errors import not_found
from .event_store import EventStore
from .model import (
    AccessToken,
    AuthCode,
    AuthRequest,
    Calendar,
    Channel,
    Client,
    Grant,
    RefreshToken,
    User,
)
from .monitor import Monitor
from .oauth_store import OAuthStore
from .push import Notifier
from .signing import SigningKey

DEFAULT_CONFIG: dict[str, Any] = {
    "token_lifetime": 3599,
    "code_lifetime": 600,
    "page_size_cap": None,
    "user_quota_per_minute": None,
    # Calls a minute for the whole project (every user of one OAuth client), as Google counts.
    "project_quota_per_minute": None,
    "delivery_timeout": 5.0,
    "notification_attempts": 4,
    "notification_backoff": 0.5,
    # Seconds a change stays out of events.list after its notification (late.py).
    "late_change_delay": 0.0,
}


class EmulatorState(EventStore, ChannelStore, OAuthStore):
    """Everything the emulator knows, behind one lock."""

    token_lifetime: int
    code_lifetime: int
    page_size_cap: int | None
    user_quota_per_minute: int | None
    project_quota_per_minute: int | None
    delivery_timeout: float
    notification_attempts: int
    notification_backoff: float
    late_change_delay: float

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.signing = SigningKey()
        self.base_url = "http://127.0.0.1:8081"
        self.monitor = Monitor()
        self.notifier = Notifier(self)
        self.version = 0
        self._init_data()
        for name, value in DEFAULT_CONFIG.items():
            setattr(self, name, value)

    def _init_data(self) -> None:
        self.users: dict[str, User] = {}
        self.clients: dict[str, Client] = {}
        self.calendars: dict[str, Calendar] = {}
        self.grants: dict[tuple[str, str], Grant] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.auth_requests: dict[str, AuthRequest] = {}
        self.auth_codes: dict[str, AuthCode] = {}
        self.channel_map: dict[str, Channel] = {}
        self.retired_channels: list[Channel] = []

    def _touch(self) -> None:
        self.version += 1

    # ---------------------------------------------------------------- configuration

    def config(self) -> dict[str, Any]:
        """The current configuration values."""
        return {name: getattr(self, name) for name in DEFAULT_CONFIG}

    def configure(self, **values: Any) -> dict[str, Any]:
        """Set configuration values (token_lifetime, page_size_cap, ...)."""
        for name, value in values.items():
            if name not in DEFAULT_CONFIG:
                raise ValueError(f"unknown setting {name!r}")
            setattr(self, name, value)
        self._touch()
        return self.config()

    def reset(self) -> None:
        """Forget everything: data, tokens, channels, faults, log, configuration."""
        with self.lock:
            self.notifier.clear()
            self._init_data()
            self.monitor.reset()
            for name, value in DEFAULT_CONFIG.items():
                setattr(self, name, value)
            self._touch()

    def close(self) -> None:
        """Stop background delivery."""
        self.notifier.stop()

    # ---------------------------------------------------------------- users, clients

    def add_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str], name: str = ""
    ) -> dict[str, Any]:
        """Register (or replace) an OAuth client."""
        with self.lock:
            client = Client(client_id, client_secret, list(redirect_uris), name)
            self.clients[client_id] = client
            self._touch()
            return client.public()

    def add_user(
        self, email: str, name: str | None = None, time_zone: str = "Australia/Sydney"
    ) -> dict[str, Any]:
        """Create a Google account with its primary calendar (whose id is the email)."""
        timefmt.zone(time_zone)
        with self.lock:
            if email in self.users:
                return self.users[email].public()
            local = email.split("@")[0]
            name = name or local.replace(".", " ").title()
            given, _, family = name.partition(" ")
            sub = str(100000000000000000000 + int.from_bytes(secrets.token_bytes(8), "big"))
            user = User(
                sub=sub,
                email=email,
                name=name,
                given_name=given,
                family_name=family,
                picture=f"{self.base_url}/ui/avatar/{quote(email)}",
                time_zone=time_zone,
            )
            self.users[email] = user
            self._new_calendar(email, email, email, time_zone, primary=True)
            self._touch()
            return user.public()

    def users_list(self) -> list[dict[str, Any]]:
        """Every user."""
        with self.lock:
            return [u.public() for u in self.users.values()]

    def clients_list(self) -> list[dict[str, Any]]:
        """Every client."""
        with self.lock:
            return [c.public() for c in self.clients.values()]

    # ---------------------------------------------------------------- calendars

    def _new_calendar(
        self,
        cal_id: str,
        owner: str,
        summary: str,
        time_zone: str,
        *,
        primary: bool = False,
        description: str | None = None,
        created_by_client: str | None = None,
    ) -> Calendar:
        cal = Calendar(
            id=cal_id,
            owner=owner,
            summary=summary,
            time_zone=time_zone,
            primary=primary,
            resource_id=ids.token("", 20).replace("-", "x").replace("_", "y"),
            generation=secrets.token_hex(6),
            etag=ids.new_etag(),
            updated=timefmt.rfc3339_ms(timefmt.utcnow()),
            description=description,
            created_by_client=created_by_client,
        )
        self.calendars[cal_id] = cal
        return cal

    def add_calendar(
        self,
        email: str,
        summary: str,
        time_zone: str | None = None,
        description: str | None = None,
        created_by_client: str | None = None,
    ) -> str:
        """Create a secondary calendar for a user; returns its id."""
        with self.lock:
            user = self.users[email]
            tz = time_zone or user.time_zone
            timefmt.zone(tz)
            cal_id = ids.new_event_id(26) + "@group.calendar.google.com"
            self._new_calendar(
                cal_id,
                email,
                summary,
                tz,
                description=description,
                created_by_client=created_by_client,
            )
            self._touch()
            return cal_id

    def calendars_of(self, email: str) -> list[Calendar]:
        """A user's calendars, primary first."""
        with self.lock:
            own = [c for c in self.calendars.values() if c.owner == email and not c.gone]
            return sorted(own, key=lambda c: (not c.primary, c.summary.lower()))

    def calendar(self, calendar_id: str) -> Calendar:
        """A calendar by id, or KeyError."""
        with self.lock:
            return self.calendars[calendar_id]

    def resolve_calendar(self, email: str, calendar_id: str) -> Calendar:
        """The calendar a user means (`primary` included), or 404."""
        with self.lock:
            if calendar_id == "primary":
                calendar_id = email
            cal = self.calendars.get(calendar_id)
            if cal is None or cal.owner != email or cal.gone:
                # A deleted or unshared calendar answers 404 notFound to every call
                # ("Handle API errors", 404: Not Found).
                raise not_found()
            return cal

    def remove_calendar(self, calendar_id: str, how: str = "deleted") -> None:
        """The user loses a calendar: deleted in Google, or no longer shared with them."""
        if how not in ("deleted", "unshared"):
            raise ValueError("how must be 'deleted' or 'unshared'")
        with self.lock:
            cal = self.calendars[calendar_id]
            cal.gone = how
            self.silence_calendar_channels(calendar_id)
            self._touch()

    def restore_calendar(self, calendar_id: str) -> None:
        """Share a calendar with its user again (old channels stay silent: watch anew)."""
        with self.lock:
            self.calendars[calendar_id].gone = None
            self._touch()

    @staticmethod
    def calendar_etag(cal: Calendar) -> str:
        """The etag of the Calendar resource (changes with its metadata only)."""
        digest = hashlib.sha1(
            f"{cal.id}|{cal.summary}|{cal.time_zone}|{cal.description}".encode()
        ).hexdigest()
        return f'"{int(digest[:13], 16)}"'

    def render_calendar(self, cal: Calendar) -> dict[str, Any]:
        """The Calendar resource."""
        out: dict[str, Any] = {
            "kind": "calendar#calendar",
            "etag": self.calendar_etag(cal),
            "id": cal.id,
            "summary": cal.summary,
        }
        if cal.description:
            out["description"] = cal.description
        out["timeZone"] = cal.time_zone
        out["conferenceProperties"] = {"allowedConferenceSolutionTypes": ["hangoutsMeet"]}
        return out

    def render_list_entry(self, cal: Calendar) -> dict[str, Any]:
        """The CalendarListEntry resource."""
        out: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": self.calendar_etag(cal),
            "id": cal.id,
            "summary": cal.summary,
        }
        if cal.description:
            out["description"] = cal.description
        out.update(
            {
                "timeZone": cal.time_zone,
                "colorId": "14" if cal.primary else "7",
                "backgroundColor": "#9fe1e7" if cal.primary else "#42d692",
                "foregroundColor": "#000000",
                "selected": True,
                "accessRole": "owner",
                "defaultReminders": [{"method": "popup", "minutes": 10}] if cal.primary else [],
                "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
            }
        )
        if cal.primary:
            out["notificationSettings"] = {
                "notifications": [
                    {"type": "eventCreation", "method": "email"},
                    {"type": "eventChange", "method": "email"},
                ]
            }
            out["primary"] = True
        return out

    def invalidate_sync_tokens(self, calendar_id: str) -> None:
        """Make every sync token of a calendar answer 410 fullSyncRequired."""
        with self.lock:
            self.calendars[calendar_id].generation = secrets.token_hex(6)
            self._touch()

    # ---------------------------------------------------------------- faults and log

    def add_fault(
        self,
        method: str,
        status: int | None,
        reason: str | None = None,
        count: int = 1,
        delay: float = 0.0,
        retry_after: int | None = None,
    ) -> None:
        """Make the next `count` calls of a method id (or "*") fail or slow down."""
        self.monitor.add_fault(method, status, reason, count, delay, retry_after)

    def clear_faults(self) -> None:
        """Forget pending faults."""
        self.monitor.clear_faults()

    def faults(self) -> list[dict[str, Any]]:
        """Pending faults."""
        return self.monitor.list_faults()

    def request_log(self) -> list[dict[str, Any]]:
        """Every request to Google's paths since the last clear."""
        return self.monitor.entries()

    def request_counts(self) -> dict[str, int]:
        """Request counts by Google method id ("batch" for batch envelopes)."""
        return self.monitor.counts()

    def clear_request_log(self) -> None:
        """Empty the request log."""
        self.monitor.clear_log()
