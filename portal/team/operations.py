"""Changing the team: invites sent and accepted, admins made, members deactivated.

Plain functions that flush; the request commits (and then starts any Google disconnect).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from portal.auth.accounts import email_taken, hash_allowed_password, normalise_email
from portal.auth.sessions import end_all_sessions
from portal.extensions import db
from portal.google.account.connection import get_connection
from portal.google.account.disconnect import request_disconnect
from portal.models import MemberInvite, User, utcnow
from portal.team.queries import find_invite, open_invites_to
from portal.team.tokens import new_token, token_hash

DEFAULT_INVITE_DAYS = 3


class TeamError(ValueError):
    """A change the team rules refuse; the message says why, for the page."""


@dataclass
class NewInvite:
    """An invite just made and its token: the only time the token exists outside the link."""

    invite: MemberInvite
    token: str


def invite_member(admin: User, email: str, days: int = DEFAULT_INVITE_DAYS) -> NewInvite:
    """Invite an email address to the admin's business as a coordinator; flushes."""
    email = normalise_email(email)
    if email_taken(email):
        raise TeamError("Someone already has an account with this email.")
    for earlier in open_invites_to(admin.business_id, email):
        # A new link replaces the old: only the latest one the admin was shown works.
        earlier.revoked_at = utcnow()
    token = new_token()
    invite = MemberInvite(
        business_id=admin.business_id,
        email=email,
        token_hash=token_hash(token),
        invited_by_id=admin.id,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(invite)
    db.session.flush()
    return NewInvite(invite, token)


def revoke_invite(invite: MemberInvite) -> None:
    """Withdraw an invite that has not been used; flushes."""
    if invite.accepted_at is None and invite.revoked_at is None:
        invite.revoked_at = utcnow()
        db.session.flush()


def accept_invite(token: str, name: str, time_zone: str, password: str) -> User:
    """Join the invite's business as a coordinator, using the link once; flushes.

    TeamError when the link is unknown, used, withdrawn or expired, or the email was taken
    since; PasswordNotAllowed (auth/accounts.py) for a password the rule refuses.
    """
    invite = find_invite(token, for_update=True)
    if invite is None or not invite.is_open(utcnow()):
        raise TeamError("This invite link has expired or has already been used.")
    if email_taken(invite.email):
        raise TeamError("Someone already has an account with this email. Try logging in.")
    user = User(
        business_id=invite.business_id,
        email=invite.email,
        name=name.strip(),
        password_hash=hash_allowed_password(password),
        time_zone=time_zone,
        is_admin=False,
    )
    db.session.add(user)
    db.session.flush()
    invite.accepted_at, invite.accepted_user_id = utcnow(), user.id
    db.session.flush()
    return user


def make_admin(member: User, admin: bool = True) -> None:
    """Make a member an admin, or take it away (never from the last admin); flushes."""
    if not admin and member.is_admin and _other_admins(member) == 0:
        raise TeamError("The business needs at least one admin: make someone else admin first.")
    member.is_admin = admin
    db.session.flush()


def deactivate_member(member: User) -> int | None:
    """End a member's access: sessions ended, Google disconnected, records kept; flushes.

    Returns the Google connection to tidy up once committed (enqueue_disconnect), if any.
    The last admin cannot be deactivated.
    """
    if not member.is_active:
        return None
    if member.is_admin and _other_admins(member) == 0:
        raise TeamError("The business needs at least one admin: make someone else admin first.")
    member.is_active = False
    member.deactivated_at = utcnow()
    end_all_sessions(member)
    connection = get_connection(member.id)
    if connection is None or not connection.is_linked:
        return None
    # As the coordinator's own Disconnect, keeping what was copied to Google: it is theirs.
    request_disconnect(connection, remove_events=False)
    return connection.id


def _other_admins(member: User) -> int:
    """How many active admins the member's business has besides them."""
    stmt = select(func.count()).where(
        User.business_id == member.business_id,
        User.is_admin.is_(True),
        User.is_active.is_(True),
        User.id != member.id,
    )
    return db.session.scalar(stmt) or 0
