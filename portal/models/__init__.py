"""The data model, one module per aggregate."""

from portal.models.accounts import Business, User
from portal.models.events import EVENT_STATUSES, EVENT_TYPES, Event
from portal.models.google import (
    ACTIVE_STATES,
    CONNECTION_STATES,
    LINKED_STATES,
    PRIVACY_LEVELS,
    QUEUING_STATES,
    EventLink,
    GoogleConnection,
    WatchChannel,
)
from portal.models.incidents import SyncIncident
from portal.models.mail import MailMessage
from portal.models.participants import Participant
from portal.models.password_reset import PasswordReset
from portal.models.sync import OutboxEntry, SyncLog
from portal.models.team import MemberInvite
from portal.models.types import UTCDateTime, utcnow

__all__ = [
    "ACTIVE_STATES",
    "CONNECTION_STATES",
    "EVENT_STATUSES",
    "EVENT_TYPES",
    "LINKED_STATES",
    "PRIVACY_LEVELS",
    "QUEUING_STATES",
    "Business",
    "Event",
    "EventLink",
    "GoogleConnection",
    "MailMessage",
    "MemberInvite",
    "OutboxEntry",
    "Participant",
    "PasswordReset",
    "SyncIncident",
    "SyncLog",
    "UTCDateTime",
    "User",
    "WatchChannel",
    "utcnow",
]
