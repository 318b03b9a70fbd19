"""The emulator's state: users, clients, calendars and events, plus the controls tests use."""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from . import events as ev
from . import ids, listing, timefmt
from .errors import ApiError, not_found
from .model import (
    AccessToken,
    AuthCode,
    AuthRequest,
    Calendar,
    Channel,
    Client,
    EventRecord,
    Grant,
    RefreshToken,
    User,
)
from .monitor import Monitor
from .oauth_store import OAuthStore
from .push import Notifier
from .recurrence import RecurrenceError
from .signing import SigningKey

DEFAULT_CONFIG: dict[str, Any] = {
    "token_lifetime": 3599,
    "code_lifetime": 600,
    "page_size_cap": None,
    "user_quota_per_minute": None,
    "delivery_timeout": 5.0,
    "notification_attempts": 4,
    "notification_backoff": 0.5,
}
DEFAULT_TTL = 604800
MAX_TTL = 2592000


def _is_loopback(host: str | None) -> bool:
    return (host or "").lower() in ("localhost", "127.0.0.1", "::1") or (host or "").startswith(
        "127."
    )


class EmulatorState(OAuthStore):
    """Everything the emulator knows, behind one lock."""

    token_lifetime: int
    code_lifetime: int
    page_size_cap: int | None
    user_quota_per_minute: int | None
    delivery_timeout: float
    notification_attempts: int
    notification_backoff: float

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
            own = [c for c in self.calendars.values() if c.owner == email]
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
            if cal is None or cal.owner != email:
                raise not_found()
            return cal

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

    # ---------------------------------------------------------------- events: core rules

    def _changed(self, cal: Calendar, record: EventRecord) -> None:
        cal.seq += 1
        record.seq = cal.seq
        cal.etag = ids.new_etag()
        cal.updated = timefmt.rfc3339_ms(timefmt.utcnow())
        self._touch()
        now_ms = int(time.time() * 1000)
        for channel in self.channel_map.values():
            if channel.calendar_id == cal.id and channel.live(now_ms):
                self.notifier.announce(channel, "exists")

    def _store(self, cal: Calendar, data: dict[str, Any]) -> EventRecord:
        record = cal.events.get(data["id"])
        if record is None:
            record = EventRecord(data, 0, cal.next_index)
            cal.next_index += 1
            cal.events[data["id"]] = record
        else:
            record.data = data
        self._changed(cal, record)
        return record

    def _find(self, cal: Calendar, event_id: str) -> tuple[EventRecord | None, dict[str, Any]]:
        record = cal.events.get(event_id)
        if record is not None:
            return record, record.data
        base, sep, suffix = event_id.rpartition("_")
        master = cal.events.get(base) if sep else None
        if master is None or not master.data.get("recurrence"):
            raise not_found()
        if master.data.get("status") == "cancelled":
            raise not_found()
        try:
            series = ev.series_of(master.data, cal.time_zone)
        except (RecurrenceError, ValueError):
            raise not_found() from None
        occ = series.find(suffix)
        if occ is None:
            raise not_found()
        return None, ev.instance_data(master.data, occ, series.tz)

    def _owner(self, cal: Calendar) -> User:
        return self.users[cal.owner]

    def insert_event(self, cal: Calendar, body: dict[str, Any]) -> dict[str, Any]:
        """events.insert rules; returns stored data."""
        with self.lock:
            if not isinstance(body, dict):
                raise ApiError(400, "badRequest", "Bad Request")
            event_id = body.get("id")
            if event_id is not None:
                if not ids.valid_event_id(event_id):
                    raise ApiError(400, "invalid", "Invalid resource id value.")
                if event_id in cal.events:
                    raise ApiError(409, "duplicate", "The requested identifier already exists.")
            else:
                event_id = ids.new_event_id()
                while event_id in cal.events:
                    event_id = ids.new_event_id()
            owner = self._owner(cal)
            data = ev.build(
                cal,
                body,
                event_id=event_id,
                previous=None,
                now=timefmt.utcnow(),
                etag=ids.new_etag(),
                owner_email=owner.email,
                owner_name=owner.name,
            )
            self._store(cal, data)
            return data

    def write_event(
        self,
        cal: Calendar,
        event_id: str,
        body: dict[str, Any],
        *,
        replace: bool,
        if_match: str | None = None,
    ) -> dict[str, Any]:
        """events.patch (replace=False) or events.update (replace=True) rules."""
        with self.lock:
            if not isinstance(body, dict):
                raise ApiError(400, "badRequest", "Bad Request")
            _, current = self._find(cal, event_id)
            self._check_etag(current, if_match)
            was_cancelled = current.get("status") == "cancelled"
            if was_cancelled and body.get("status") not in ("confirmed", "tentative"):
                # Google lets an update that explicitly confirms the event bring it back.
                raise ApiError(410, "deleted", "Resource has been deleted")
            if replace:
                merged = dict(body)
                if current.get("recurringEventId"):
                    merged.pop("recurrence", None)
            else:
                merged = ev.merge_patch(
                    {k: v for k, v in current.items() if k in ev.WRITABLE}, body
                )
            owner = self._owner(cal)
            data = ev.build(
                cal,
                merged,
                event_id=event_id,
                previous=current,
                now=timefmt.utcnow(),
                etag=ids.new_etag(),
                owner_email=owner.email,
                owner_name=owner.name,
            )
            self._store(cal, data)
            if data.get("status") == "cancelled" and not was_cancelled:
                self._cascade_cancel(cal, data)
            return data

    def delete_event(self, cal: Calendar, event_id: str, if_match: str | None = None) -> None:
        """events.delete rules: a tombstone stays behind (status cancelled)."""
        with self.lock:
            _, current = self._find(cal, event_id)
            if current.get("status") == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            self._check_etag(current, if_match)
            data = copy.deepcopy(current)
            data["status"] = "cancelled"
            data["etag"] = ids.new_etag()
            data["updated"] = timefmt.rfc3339_ms(timefmt.utcnow())
            self._store(cal, data)
            self._cascade_cancel(cal, data)

    def _cascade_cancel(self, cal: Calendar, master: dict[str, Any]) -> None:
        if not master.get("recurrence") or master.get("recurringEventId"):
            return
        prefix = master["id"] + "_"
        for event_id, record in list(cal.events.items()):
            if event_id.startswith(prefix) and record.data.get("status") != "cancelled":
                data = dict(
                    record.data,
                    status="cancelled",
                    etag=ids.new_etag(),
                    updated=timefmt.rfc3339_ms(timefmt.utcnow()),
                )
                self._store(cal, data)

    @staticmethod
    def _check_etag(current: dict[str, Any], if_match: str | None) -> None:
        if if_match is None or if_match.strip() == "*":
            return
        candidates = [t.strip() for t in if_match.split(",")]
        if current.get("etag") not in candidates:
            raise ApiError(
                412,
                "conditionNotMet",
                "Precondition Failed",
                location="If-Match",
                location_type="header",
            )

    def fetch_event(self, cal: Calendar, event_id: str) -> dict[str, Any]:
        """events.get rules: deleted events still come back (as cancelled)."""
        with self.lock:
            return self._find(cal, event_id)[1]

    def render(self, cal: Calendar, data: dict[str, Any]) -> dict[str, Any]:
        """The Event resource for stored or virtual data."""
        return ev.render(data, cal, self.base_url)

    def list_page(self, cal: Calendar, query: listing.ListQuery) -> dict[str, Any]:
        """One events.list page."""
        with self.lock:
            return listing.list_events(cal, query, self.base_url, timefmt.utcnow())

    def instances_page(
        self, cal: Calendar, event_id: str, query: listing.ListQuery
    ) -> dict[str, Any]:
        """One events.instances page."""
        with self.lock:
            record = cal.events.get(event_id)
            if record is None or not record.data.get("recurrence"):
                raise not_found()
            if record.data.get("status") == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            return listing.list_instances(cal, record, query, self.base_url, timefmt.utcnow())

    # ---------------------------------------------------------------- events: as a person

    def _cal(self, calendar_id: str) -> Calendar:
        cal = self.calendars.get(calendar_id)
        if cal is None:
            raise KeyError(f"unknown calendar {calendar_id!r}")
        return cal

    def user_insert_event(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create an event as the owner would in Google Calendar (notifies watchers)."""
        with self.lock:
            cal = self._cal(calendar_id)
            return self.render(cal, self.insert_event(cal, body))

    def user_patch_event(
        self, calendar_id: str, event_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Change some fields of an event (or instance) as the owner would."""
        with self.lock:
            cal = self._cal(calendar_id)
            return self.render(cal, self.write_event(cal, event_id, body, replace=False))

    def user_update_event(
        self, calendar_id: str, event_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """Replace an event as the owner would."""
        with self.lock:
            cal = self._cal(calendar_id)
            return self.render(cal, self.write_event(cal, event_id, body, replace=True))

    def user_delete_event(self, calendar_id: str, event_id: str) -> None:
        """Delete an event (or one instance of a series) as the owner would."""
        with self.lock:
            self.delete_event(self._cal(calendar_id), event_id)

    def get_event(
        self, calendar_id: str, event_id: str, include_deleted: bool = True
    ) -> dict[str, Any] | None:
        """An event (or instance) as events.get renders it, or None."""
        with self.lock:
            cal = self._cal(calendar_id)
            try:
                data = self.fetch_event(cal, event_id)
            except ApiError:
                return None
            if data.get("status") == "cancelled" and not include_deleted:
                return None
            return self.render(cal, data)

    def list_events(self, calendar_id: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Every stored event of a calendar (masters and exceptions, not expanded)."""
        with self.lock:
            cal = self._cal(calendar_id)
            records = sorted(cal.events.values(), key=lambda r: r.index)
            return [
                self.render(cal, r.data)
                for r in records
                if include_deleted or r.data.get("status") != "cancelled"
            ]

    def expand(
        self,
        calendar_id: str,
        time_min: datetime | str | None,
        time_max: datetime | str | None,
    ) -> list[dict[str, Any]]:
        """Instances in the window as singleEvents=true lists them, by start time."""
        if isinstance(time_min, str):
            time_min = timefmt.parse_rfc3339(time_min)
        if isinstance(time_max, str):
            time_max = timefmt.parse_rfc3339(time_max)
        with self.lock:
            cal = self._cal(calendar_id)
            datas = listing.expand(cal, time_min, time_max, timefmt.utcnow())
            return [self.render(cal, d) for d in datas]

    # ---------------------------------------------------------------- channels

    def watch(
        self,
        cal: Calendar,
        requested_id: str,
        email: str,
        client_id: str,
        body: dict[str, Any],
    ) -> dict[str, Any]:
        """events.watch rules; opens the channel and queues its `sync` message."""
        if not isinstance(body, dict):
            raise ApiError(400, "badRequest", "Bad Request")
        channel_id = body.get("id")
        if not channel_id or not isinstance(channel_id, str):
            raise ApiError(400, "required", "Required", location="id", location_type="parameter")
        if len(channel_id) > 64:
            raise ApiError(400, "invalid", "Channel id must be at most 64 characters.")
        kind = body.get("type")
        if kind not in ("web_hook", "webhook"):
            raise ApiError(
                400,
                "invalid",
                f"Unknown channel type: {kind}",
                domain="push",
                location="type",
                location_type="parameter",
            )
        address = body.get("address")
        if not address or not isinstance(address, str):
            raise ApiError(
                400, "required", "Required", location="address", location_type="parameter"
            )
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ApiError(400, "invalid", f"Invalid webhook address: {address}")
        if parts.scheme != "https" and not _is_loopback(parts.hostname):
            raise ApiError(
                400,
                "push.webhookUrlNotHttps",
                f"WebHook callback must be HTTPS: {address}",
                domain="push",
            )
        token = body.get("token")
        if token is not None and (not isinstance(token, str) or len(token) > 256):
            raise ApiError(400, "invalid", "Channel token must be at most 256 characters.")
        params = body.get("params") or {}
        ttl = DEFAULT_TTL
        if "ttl" in params:
            try:
                ttl = int(str(params["ttl"]))
            except ValueError:
                raise ApiError(400, "invalid", "Invalid value for: params.ttl") from None
            if ttl <= 0:
                raise ApiError(400, "invalid", "Invalid value for: params.ttl")
        ttl = min(ttl, MAX_TTL)
        with self.lock:
            now_ms = int(time.time() * 1000)
            existing = self.channel_map.get(channel_id)
            if existing is not None and existing.live(now_ms):
                raise ApiError(
                    400, "channelIdNotUnique", f"Channel id {channel_id} not unique", domain="push"
                )
            if existing is not None:
                self.retired_channels.append(existing)
            channel = Channel(
                id=channel_id,
                resource_id=cal.resource_id,
                resource_uri=f"{self.base_url}/calendar/v3/calendars/"
                f"{quote(requested_id, safe='@')}/events?alt=json",
                calendar_id=cal.id,
                email=email,
                client_id=client_id,
                address=address,
                token=token,
                expiration=now_ms + ttl * 1000,
                created=time.time(),
            )
            self.channel_map[channel_id] = channel
            self._touch()
            self.notifier.announce(channel, "sync")
            answer: dict[str, Any] = {
                "kind": "api#channel",
                "id": channel.id,
                "resourceId": channel.resource_id,
                "resourceUri": channel.resource_uri,
            }
            if token is not None:
                answer["token"] = token
            answer["expiration"] = str(channel.expiration)
            return answer

    def stop_channel(self, email: str, client_id: str, body: dict[str, Any]) -> None:
        """channels.stop rules: only the same user through the same client."""
        if not isinstance(body, dict):
            raise ApiError(400, "badRequest", "Bad Request")
        channel_id = body.get("id")
        resource_id = body.get("resourceId")
        if not channel_id:
            raise ApiError(400, "required", "Required", location="id", location_type="parameter")
        with self.lock:
            channel = self.channel_map.get(channel_id)
            if (
                channel is None
                or channel.stopped
                or (resource_id and channel.resource_id != resource_id)
                or channel.email != email
                or channel.client_id != client_id
            ):
                raise ApiError(404, "notFound", f"Channel '{channel_id}' not found for project")
            channel.stopped = True
            self._touch()

    def channels(self) -> list[dict[str, Any]]:
        """Every channel ever opened, with its delivery counters."""
        with self.lock:
            return [c.public() for c in [*self.retired_channels, *self.channel_map.values()]]

    def expire_channel(self, channel_id: str) -> None:
        """End a channel as if its expiration had passed."""
        with self.lock:
            channel = self.channel_map[channel_id]
            channel.expired = True
            channel.expiration = min(channel.expiration, int(time.time() * 1000))
            self._touch()

    def silence_channel(self, channel_id: str) -> None:
        """Keep a channel open but never deliver on it again."""
        with self.lock:
            self.channel_map[channel_id].silenced = True
            self._touch()

    def set_notification_faults(
        self, drop: int = 0, duplicate: int = 0, delay: float = 0.0, reorder: int = 0
    ) -> None:
        """Drop, duplicate, delay or reorder the next notifications."""
        self.notifier.set_faults(drop=drop, duplicate=duplicate, delay=delay, reorder=reorder)

    def wait_notifications(self, timeout: float = 5.0) -> bool:
        """Wait until every queued notification was attempted; False on timeout."""
        return self.notifier.wait_idle(timeout)

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
