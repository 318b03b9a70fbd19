"""The clock's incident checks: live updates off for an hour, and the admins' daily summary.

Both are indexed queries with a limit, so their cost does not grow with the number of healthy
connections' rows beyond one pass over the connected ones' index.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select

from portal.core.jobs import job
from portal.core.timezones import format_moment, zone
from portal.extensions import db
from portal.google.account.incidents import (
    TEAM_INTEGRATIONS_PATH,
    open_incident,
    open_incidents_for_business,
    tell_coordinator,
)
from portal.google.realtime.address import webhook_reach
from portal.mail.outbox import queue_mail
from portal.models import GoogleConnection, MailMessage, User, WatchChannel, utcnow
from portal.models.incidents import LIVE_UPDATES_OFF, SyncIncident

# Live updates count as off once they have been for this long.
LIVE_OFF_AFTER = timedelta(hours=1)
# Rows each step of a check handles per run at most; the rest wait for the next run.
CHECK_CAP = 500
# A business gets at most one summary in this long, however often the clock asks.
SUMMARY_EVERY = timedelta(hours=23)
SUMMARY_KIND = "incident_summary"


def live_channel(now: datetime) -> ColumnElement[bool]:
    """SQL: the connection has an open, unexpired channel Google confirmed or notified on, and
    no polling fallback (worker/safety_net.healthy_channel's test, for many rows at once)."""
    heard = or_(WatchChannel.live_at.is_not(None), WatchChannel.last_notification_at.is_not(None))
    channel = exists().where(
        WatchChannel.connection_id == GoogleConnection.id,
        WatchChannel.stopped_at.is_(None),
        WatchChannel.expires_at > now,
        heard,
    )
    return and_(not_(GoogleConnection.polling_only), channel)


def _open_live_incident() -> ColumnElement[bool]:
    return exists().where(
        SyncIncident.connection_id == GoogleConnection.id,
        SyncIncident.kind == LIVE_UPDATES_OFF,
        SyncIncident.closed_at.is_(None),
    )


def notice_live_updates_off(now: datetime, cap: int = CHECK_CAP) -> int:
    """Open a quiet incident for each connected calendar without live updates (flushes)."""
    stmt = (
        select(GoogleConnection)
        .where(
            GoogleConnection.state == "connected",
            not_(live_channel(now)),
            not_(_open_live_incident()),
        )
        .limit(cap)
    )
    connections = list(db.session.scalars(stmt))
    for connection in connections:
        open_incident(connection, LIVE_UPDATES_OFF, notify=False)
    return len(connections)


def _live_incidents(*conditions: ColumnElement[bool], cap: int) -> list[SyncIncident]:
    stmt = (
        select(SyncIncident)
        .join(GoogleConnection, GoogleConnection.id == SyncIncident.connection_id)
        .where(SyncIncident.kind == LIVE_UPDATES_OFF, SyncIncident.closed_at.is_(None))
        .where(*conditions)
        .order_by(SyncIncident.opened_at)
        .limit(cap)
    )
    return list(db.session.scalars(stmt))


def close_restored(now: datetime, cap: int = CHECK_CAP) -> int:
    """Close live-updates incidents whose connection listens again, or no longer syncs."""
    restored = or_(GoogleConnection.state != "connected", live_channel(now))
    incidents = _live_incidents(restored, cap=cap)
    for incident in incidents:
        incident.closed_at = now
    db.session.flush()
    return len(incidents)


def mail_long_outages(now: datetime, cap: int = CHECK_CAP) -> int:
    """Tell the coordinator of each live-updates incident older than LIVE_OFF_AFTER (flushes)."""
    incidents = _live_incidents(
        SyncIncident.mailed_at.is_(None), SyncIncident.opened_at <= now - LIVE_OFF_AFTER, cap=cap
    )
    for incident in incidents:
        tell_coordinator(incident)
    return len(incidents)


def check_live_updates(now: datetime | None = None, cap: int = CHECK_CAP) -> dict[str, int]:
    """One run of the check: close what recovered, mail what has been off an hour, notice new."""
    if webhook_reach(current_app.config) is None:
        return {}  # Google cannot notify this portal at all: not an incident of anyone's
    now = now or utcnow()
    closed = close_restored(now, cap)
    mailed = mail_long_outages(now, cap)
    noticed = notice_live_updates_off(now, cap)
    return {"closed": closed, "mailed": mailed, "noticed": noticed}


def businesses_with_open_incidents(now: datetime, cap: int = CHECK_CAP) -> list[int]:
    """Businesses with an open, mailed incident and no summary within SUMMARY_EVERY."""
    summarised = exists().where(
        MailMessage.business_id == SyncIncident.business_id,
        MailMessage.kind == SUMMARY_KIND,
        MailMessage.created_at > now - SUMMARY_EVERY,
    )
    stmt = (
        select(SyncIncident.business_id)
        .where(
            SyncIncident.closed_at.is_(None),
            SyncIncident.mailed_at.is_not(None),
            not_(summarised),
        )
        .group_by(SyncIncident.business_id)
        .order_by(func.min(SyncIncident.opened_at))
        .limit(cap)
    )
    return list(db.session.scalars(stmt))


def summary_text(admin: User, business_id: int) -> str | None:
    """The summary email's text for one admin, or None if nothing is open any more."""
    incidents = open_incidents_for_business(business_id)
    if not incidents:
        return None
    lines = [
        f"- {item.coordinator} ({item.coordinator_email}), since "
        f"{format_moment(item.since, zone(admin.time_zone))}: {item.summary}."
        for item in incidents
    ]
    page = current_app.config["PUBLIC_BASE_URL"] + TEAM_INTEGRATIONS_PATH
    return (
        f"Hello {admin.name},\n\nGoogle Calendar sync is not working for these coordinators:\n\n"
        + "\n".join(lines)
        + "\n\nEach of them has been emailed a link to fix it. The integrations page shows "
        f"the same list:\n\n{page}\n\nCoordinoter\n"
    )


def send_daily_summaries(now: datetime | None = None) -> int:
    """Mail each business's admins the open incidents, once a day at most; flushes."""
    now = now or utcnow()
    sent = 0
    for business_id in businesses_with_open_incidents(now):
        admins = db.session.scalars(
            select(User).where(User.business_id == business_id, User.is_admin, User.is_active)
        )
        for admin in admins:
            text = summary_text(admin, business_id)
            if text is not None:
                subject = "Google Calendar sync problems in your practice"
                queue_mail(
                    admin.email,
                    SUMMARY_KIND,
                    subject,
                    text,
                    business_id=business_id,
                    user_id=admin.id,
                )
                sent += 1
    db.session.flush()
    return sent


@job
def live_updates_check_job() -> dict:
    """Clock: the live-updates check (check_live_updates)."""
    result = check_live_updates()
    db.session.commit()
    return result


@job
def daily_summary_job() -> int:
    """Clock: the admins' daily summary of open incidents (send_daily_summaries)."""
    sent = send_daily_summaries()
    db.session.commit()
    return sent
