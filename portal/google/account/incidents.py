"""Sync incidents: when a coordinator's sync breaks they get one email, and it is fixed once.

An incident opens when a connection needs a reconnect (tokens.mark_needs_reconnect), when
its calendar is lost (lost_calendar.stop_for_lost_calendar), or when its live updates have
been off for an hour (incident_checks.py). At most one incident of a kind is open per
connection (a unique index), so however many jobs fail, the coordinator is mailed once. It
closes when the connection syncs again (the import after a reconnect or a new calendar).
Admins see open incidents on the integrations page and in a daily summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from portal.extensions import db
from portal.mail.outbox import queue_mail
from portal.models import GoogleConnection, User, utcnow
from portal.models.incidents import (
    CALENDAR_GONE,
    LIVE_UPDATES_OFF,
    NEEDS_RECONNECT,
    SyncIncident,
)

# The Reconnect link's path (integrations/google_routes.reconnect): a job has no request to
# build it from with url_for, and google may not import the integrations pages.
RECONNECT_PATH = "/google/reconnect"
# A lost calendar is fixed by choosing one (integrations/google_routes.calendar_picker).
CHOOSE_CALENDAR_PATH = "/google/calendar"
# The admins' page of every coordinator's sync (team.integrations), named in the summary.
TEAM_INTEGRATIONS_PATH = "/team/integrations"

# (subject, what happened, what to do) per kind, in the coordinator's words.
WORDING = {
    NEEDS_RECONNECT: (
        "Google Calendar sync has stopped: please reconnect",
        "Google no longer accepts Coordinoter's access to your Google account, so your "
        "appointments are not being copied between Coordinoter and Google Calendar.",
        "Open this link and sign in with Google again to restart it:",
    ),
    CALENDAR_GONE: (
        "Google Calendar sync has stopped: your calendar is gone",
        "The Google calendar Coordinoter copies your appointments to was deleted or is no "
        "longer shared with you, so nothing is being copied.",
        "Open this link and choose a calendar to restart it:",
    ),
    LIVE_UPDATES_OFF: (
        "Changes in Google Calendar are reaching Coordinoter slowly",
        "For more than an hour, Google has not been telling Coordinoter straight away when you "
        "change something in Google Calendar. Changes still arrive, but up to 15 minutes late.",
        "If it does not sort itself out, open this link and sign in with Google again:",
    ),
}
BODY = """Hello {name},

{what}

{detail}

{todo}

{link}

Changes you make in Coordinoter are kept and will be sent once this is fixed.

Coordinoter
"""


def _session_of(connection: GoogleConnection) -> Session:
    # The token refresh works in a session of its own: the incident must commit with it.
    return object_session(connection) or db.session


def open_incident(connection: GoogleConnection, kind: str, *, notify: bool = True) -> SyncIncident:
    """The connection's open incident of this kind, opened (and mailed) if there is none."""
    session = _session_of(connection)
    incident = session.scalar(
        select(SyncIncident).where(
            SyncIncident.connection_id == connection.id,
            SyncIncident.kind == kind,
            SyncIncident.closed_at.is_(None),
        )
    )
    if incident is not None:
        return incident
    incident = SyncIncident(
        connection_id=connection.id,
        user_id=connection.user_id,
        business_id=connection.business_id,
        kind=kind,
        message=connection.last_error or "",
    )
    session.add(incident)
    session.flush()
    if notify:
        tell_coordinator(incident)
    return incident


def reconnect_link(kind: str = NEEDS_RECONNECT) -> str:
    """The absolute link an incident's email carries: Reconnect, or choose a calendar."""
    path = CHOOSE_CALENDAR_PATH if kind == CALENDAR_GONE else RECONNECT_PATH
    return current_app.config["PUBLIC_BASE_URL"] + path


def tell_coordinator(incident: SyncIncident) -> None:
    """Queue the one email of this incident to its coordinator (flushes)."""
    session = object_session(incident) or db.session
    user = session.get(User, incident.user_id)
    subject, what, todo = WORDING[incident.kind]
    detail = incident.message or ""
    text = BODY.format(
        name=user.name, what=what, detail=detail, todo=todo, link=reconnect_link(incident.kind)
    )
    queue_mail(
        user.email,
        f"incident_{incident.kind}",
        subject,
        text.replace("\n\n\n", "\n\n"),
        business_id=incident.business_id,
        user_id=user.id,
        session=session,
    )
    incident.mailed_at = utcnow()
    session.flush()


def close_incidents(connection: GoogleConnection, kinds: tuple[str, ...] | None = None) -> int:
    """Close the connection's open incidents (of these kinds): it syncs again; flushes."""
    session = _session_of(connection)
    stmt = update(SyncIncident).where(
        SyncIncident.connection_id == connection.id, SyncIncident.closed_at.is_(None)
    )
    if kinds is not None:
        stmt = stmt.where(SyncIncident.kind.in_(kinds))
    result = session.execute(
        stmt.values(closed_at=utcnow()).execution_options(synchronize_session=False)
    )
    return result.rowcount


@dataclass(frozen=True)
class OpenIncident:
    """An open incident as an admin reads it."""

    id: int
    kind: str
    coordinator: str
    coordinator_email: str
    since: datetime
    message: str

    @property
    def summary(self) -> str:
        """What happened, in a few words (the email's subject)."""
        return WORDING[self.kind][0]


def open_incidents_for_business(business_id: int) -> list[OpenIncident]:
    """The business's open incidents its coordinators were told of, oldest first."""
    stmt = (
        select(SyncIncident, User.name, User.email)
        .join(User, User.id == SyncIncident.user_id)
        .join(GoogleConnection, GoogleConnection.id == SyncIncident.connection_id)
        .where(
            SyncIncident.business_id == business_id,
            SyncIncident.closed_at.is_(None),
            SyncIncident.mailed_at.is_not(None),
            GoogleConnection.state != "disconnected",
        )
        .order_by(SyncIncident.opened_at)
    )
    return [
        OpenIncident(row.id, row.kind, name, email, row.opened_at, row.message)
        for row, name, email in db.session.execute(stmt)
    ]
