"""Small factories that build rows for tests and flush them."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from werkzeug.security import generate_password_hash

from portal.extensions import db
from portal.models import Business, Event, Participant, User

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
# scrypt takes about 0.1 s a check on purpose; the suite logs in hundreds of times, so its
# apps hash cheaply (tests/auth/test_accounts.py checks production's method), and tests reuse
# one hash.
HASH_METHOD = "pbkdf2:sha256:1000"
_PASSWORD_HASH = generate_password_hash(PASSWORD, method=HASH_METHOD)


def make_business(name: str = "Bright Path Coordination") -> Business:
    business = Business(name=name)
    db.session.add(business)
    db.session.flush()
    return business


def make_user(
    business: Business | None = None,
    email: str | None = None,
    time_zone: str = "Australia/Sydney",
    business_name: str = "Bright Path Coordination",
    name: str = "Casey Coordinator",
) -> User:
    business = business or make_business(business_name)
    user = User(
        business=business,
        email=email or f"coordinator{next(_counter)}@example.com",
        name=name,
        password_hash=_PASSWORD_HASH,
        time_zone=time_zone,
        is_admin=True,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_participant(
    business_id: int, name: str = "Jordan Lee", ndis: str = "430123456"
) -> Participant:
    participant = Participant(business_id=business_id, name=name, ndis_number=ndis)
    db.session.add(participant)
    db.session.flush()
    return participant


def make_event(
    owner: User,
    title: str = "Home visit",
    start: datetime | None = None,
    minutes: int = 60,
    time_zone: str | None = None,
    **fields,
) -> Event:
    start = start or datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    event = Event(
        business_id=owner.business_id,
        owner_id=owner.id,
        title=title,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        time_zone=time_zone or owner.time_zone,
        **fields,
    )
    db.session.add(event)
    db.session.flush()
    return event


def make_all_day_event(owner: User, title: str, first: date, days: int = 1, **fields) -> Event:
    event = Event(
        business_id=owner.business_id,
        owner_id=owner.id,
        title=title,
        all_day=True,
        start_date=first,
        end_date=first + timedelta(days=days),
        time_zone=owner.time_zone,
        **fields,
    )
    db.session.add(event)
    db.session.flush()
    return event
