"""Forgotten passwords: an emailed link that works once, within the hour.

The link carries a random token; the table keeps only its SHA-256, when it expires and when
it was used. A random token in a row (rather than a signed token bound to the password hash)
makes "once" a fact in the database, checked and set in the transaction that changes the
password, lets a reset end every other link of that coordinator, and leaves nothing in the
database that could be turned into a working link.

Whoever asks gets the same answer whether or not the address has an account (the view shows
one page for both); only the log says which it was.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import select, update

from portal.auth.accounts import normalise_email, set_password
from portal.extensions import db
from portal.mail.outbox import mail_configured, queue_mail
from portal.models import PasswordReset, User, utcnow

log = logging.getLogger(__name__)

MAIL_KIND = "password_reset"
SUBJECT = "Choose a new Coordinoter password"
BODY = """Hello {name},

Someone (we hope you) asked to choose a new password for your Coordinoter account.
Open this link to choose one:

{link}

The link works once, within {minutes} minutes. If you did not ask, ignore this email: your
password stays as it is.

Coordinoter
"""


def hash_token(token: str) -> str:
    """What the table stores for a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str) -> PasswordReset | None:
    """Email a reset link to the active coordinator with this address, if any (flushes)."""
    user = db.session.scalar(
        select(User).where(User.email == normalise_email(email), User.is_active)
    )
    if user is None:
        log.info("password reset asked for an address without an active account")
        return None
    if not mail_configured(current_app):
        log.warning("password reset asked by user %s, but mail is not configured", user.id)
    token = secrets.token_urlsafe(32)
    seconds = int(current_app.config["PASSWORD_RESET_SECONDS"])
    reset = PasswordReset(
        user_id=user.id,
        token_hash=hash_token(token),
        expires_at=utcnow() + timedelta(seconds=seconds),
    )
    db.session.add(reset)
    link = current_app.config["PUBLIC_BASE_URL"] + url_for("auth.reset_password", token=token)
    text = BODY.format(name=user.name, link=link, minutes=seconds // 60)
    queue_mail(user.email, MAIL_KIND, SUBJECT, text, business_id=user.business_id, user_id=user.id)
    return reset


def usable_reset(token: str) -> PasswordReset | None:
    """The unused, unexpired link this token belongs to, else None."""
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == hash_token(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    return reset


def complete_reset(reset: PasswordReset, password: str) -> User | None:
    """Use the link: set the password, end every session and every other link (flushes).

    None if the link was used meanwhile; PasswordNotAllowed (auth/accounts.py) if the password
    breaks the rule, and then the caller rolls back.
    """
    now = utcnow()
    # Used in SQL and counted: of two requests racing with one link, only one gets through.
    claimed = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    user = db.session.get(User, reset.user_id)
    set_password(user, password)
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return user
