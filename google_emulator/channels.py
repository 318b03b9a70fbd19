"""Push channels: events.watch, channels.stop and the controls tests use on channels."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import quote, urlsplit

from .errors import ApiError
from .model import Calendar, Channel
from .push import Notifier

DEFAULT_TTL = 604800
MAX_TTL = 2592000


def _is_loopback(host: str | None) -> bool:
    return (host or "").lower() in ("localhost", "127.0.0.1", "::1") or (host or "").startswith(
        "127."
    )


class ChannelStore:
    """Mixin of EmulatorState: the push channels."""

    lock: threading.RLock
    base_url: str
    notifier: Notifier
    channel_map: dict[str, Channel]
    retired_channels: list[Channel]

    def _touch(self) -> None:
        raise NotImplementedError

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

    def silence_calendar_channels(self, calendar_id: str) -> None:
        """Channels on a calendar the user lost stop delivering (they stay listed)."""
        with self.lock:
            for channel in self.channel_map.values():
                if channel.calendar_id == calendar_id:
                    channel.silenced = True
            self._touch()
