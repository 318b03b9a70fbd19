"""Reading the team: members, open invites, and one invite by its link."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import MemberInvite, User, utcnow
from portal.team.tokens import token_hash


def members_of(business_id: int) -> list[User]:
    """The business's members, active first, then by name."""
    stmt = (
        select(User)
        .where(User.business_id == business_id)
        .order_by(User.is_active.desc(), User.name, User.id)
    )
    return list(db.session.scalars(stmt))


def open_invites(business_id: int) -> list[MemberInvite]:
    """The business's invites not yet used, withdrawn or expired, newest first."""
    stmt = (
        select(MemberInvite)
        .where(
            MemberInvite.business_id == business_id,
            MemberInvite.accepted_at.is_(None),
            MemberInvite.revoked_at.is_(None),
            MemberInvite.expires_at > utcnow(),
        )
        .order_by(MemberInvite.created_at.desc(), MemberInvite.id.desc())
    )
    return list(db.session.scalars(stmt))


def open_invites_to(business_id: int, email: str) -> list[MemberInvite]:
    """The business's invites to this address that could still be used."""
    return [invite for invite in open_invites(business_id) if invite.email == email]


def find_invite(token: str, for_update: bool = False) -> MemberInvite | None:
    """The invite this link token belongs to, if any (locked for update when asked)."""
    stmt = select(MemberInvite).where(MemberInvite.token_hash == token_hash(token))
    # Two people opening the same link at once: the lock lets only one of them join.
    return db.session.scalar(stmt.with_for_update() if for_update else stmt)


def active_members(business_id: int) -> list[User]:
    """The business's members who can still sign in, by name."""
    return [member for member in members_of(business_id) if member.is_active]
