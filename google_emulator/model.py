"""The emulator's records: users, clients, calendars, events, grants, tokens, channels."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    """A Google account."""

    sub: str
    email: str
    name: str
    given_name: str
    family_name: str
    picture: str
    time_zone: str

    def public(self) -> dict[str, Any]:
        """The user as the control API shows it."""
        return dataclasses.asdict(self)


@dataclass
class Client:
    """An OAuth client registered in the (emulated) Google Cloud console."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str = ""

    def public(self) -> dict[str, Any]:
        """The client as the control API shows it."""
        return dataclasses.asdict(self)


@dataclass
class EventRecord:
    """A stored event (single, recurring master or exception) and its change bookkeeping."""

    data: dict[str, Any]
    seq: int
    index: int
    # Late changes (late.py): when the newest version reaches listings, and what they show
    # until then.
    visible_at: float = 0.0
    shown: dict[str, Any] | None = None


@dataclass
class Calendar:
    """A calendar and its events; `seq` counts changes and feeds sync tokens."""

    id: str
    owner: str
    summary: str
    time_zone: str
    primary: bool
    resource_id: str
    generation: str
    etag: str
    updated: str
    description: str | None = None
    created_by_client: str | None = None
    # "deleted" or "unshared": the user no longer reaches it (every call answers 404).
    gone: str | None = None
    seq: int = 0
    next_index: int = 0
    events: dict[str, EventRecord] = field(default_factory=dict)


@dataclass
class Grant:
    """What a user allowed a client to do."""

    email: str
    client_id: str
    scopes: list[str]
    created: float


@dataclass
class AccessToken:
    """A short-lived bearer token."""

    token: str
    email: str
    client_id: str
    scopes: list[str]
    expires_at: float


@dataclass
class RefreshToken:
    """A long-lived refresh token, valid until its grant is revoked."""

    token: str
    email: str
    client_id: str
    scopes: list[str]
    revoked: bool = False


@dataclass
class AuthRequest:
    """An authorization request waiting on the consent page."""

    id: str
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    access_type: str
    prompt: str
    include_granted_scopes: bool
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    login_hint: str | None
    created: float


@dataclass
class AuthCode:
    """A single-use authorization code."""

    code: str
    client_id: str
    email: str
    redirect_uri: str
    scopes: list[str]
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    offline: bool
    force_refresh_token: bool
    expires_at: float
    used: bool = False


@dataclass
class Channel:
    """A push notification channel on one calendar's events."""

    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    email: str
    client_id: str
    address: str
    token: str | None
    expiration: int
    created: float
    stopped: bool = False
    expired: bool = False
    silenced: bool = False
    message_number: int = 0
    delivered: int = 0
    failed: int = 0
    dropped: int = 0
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def live(self, now_ms: int) -> bool:
        """Whether the channel is still open (not stopped and not past its expiration)."""
        return not self.stopped and not self.expired and now_ms < self.expiration

    def public(self) -> dict[str, Any]:
        """The channel as the control API shows it."""
        return {
            "id": self.id,
            "resourceId": self.resource_id,
            "resourceUri": self.resource_uri,
            "calendarId": self.calendar_id,
            "email": self.email,
            "clientId": self.client_id,
            "address": self.address,
            "token": self.token,
            "expiration": self.expiration,
            "stopped": self.stopped,
            "expired": self.expired,
            "silenced": self.silenced,
            "messageNumber": self.message_number,
            "delivered": self.delivered,
            "failed": self.failed,
            "dropped": self.dropped,
            "deliveries": list(self.deliveries),
        }


def to_dict(obj: Any) -> dict[str, Any]:
    """A JSON-able dict of a record (for the state file)."""
    return dataclasses.asdict(obj)


def from_dict(cls: type, data: dict[str, Any]) -> Any:
    """A record rebuilt from its dict, ignoring unknown keys."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})
