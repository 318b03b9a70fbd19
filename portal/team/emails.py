"""The team's emails: an invite, and a reminder to fix Google Calendar sync."""

from __future__ import annotations

from flask import current_app, url_for

from portal.calendar.timeutil import format_day, to_local
from portal.core.timezones import format_time
from portal.mail.outbox import queue_mail
from portal.models import MailMessage, MemberInvite, User
from portal.team.sync_states import SyncRow


def public_url(endpoint: str, **values: object) -> str:
    """An absolute link into the portal, at its public address (for emails and copying)."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for(endpoint, **values)


def invite_email(invite: MemberInvite, link: str, admin: User) -> MailMessage:
    """Queue the invite to join the business (sent when the request commits)."""
    business = invite.business.name
    text = (
        f"Hello,\n\n{admin.name} has invited you to join {business} on Coordinoter, "
        "where the team keeps its calendar and participants.\n\n"
        f"Open this link to choose your name and password:\n{link}\n\n"
        f"The link works once, until {_when(invite, admin)}. If you did not expect this "
        "email, you can ignore it.\n"
    )
    return queue_mail(
        invite.email,
        "invite",
        f"Join {business} on Coordinoter",
        text,
        business_id=invite.business_id,
    )


def sync_reminder_email(row: SyncRow, admin: User) -> MailMessage:
    """Queue a reminder to a coordinator to connect or reconnect Google Calendar."""
    member = row.member
    text = (
        f"Hello {member.name},\n\n{admin.name} asked Coordinoter to remind you about your "
        f"Google Calendar. At the moment: {row.words}.\n\n"
        "Until it is fixed, appointments in Coordinoter and in your Google Calendar do not "
        "match. Open this page and follow what it says:\n"
        f"{public_url('integrations.index')}\n"
    )
    return queue_mail(
        member.email,
        "sync_reminder",
        "Please check your Google Calendar in Coordinoter",
        text,
        business_id=member.business_id,
        user_id=member.id,
    )


def _when(invite: MemberInvite, admin: User) -> str:
    local = to_local(invite.expires_at, admin.time_zone)
    return f"{format_day(local.date())}, {format_time(local)}"
