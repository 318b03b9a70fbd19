"""Many coordinators at once for the scale tests: rows inserted in bulk, no Google sign-in.

The clock's scans read only rows, so a connection here has no tokens: the tests look at what
a tick selects and enqueues, not at the pulls themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select

from portal.extensions import db
from portal.models import Business, GoogleConnection, User, WatchChannel, utcnow


def add_connections(count: int, due_at: datetime | None = None, **fields) -> list[int]:
    """`count` coordinators of one business, each with a connection; returns their ids."""
    business = Business(name="Scale Practice")
    db.session.add(business)
    db.session.flush()
    rows = [
        {
            "user_id": user_id,
            "business_id": business.id,
            "state": "connected",
            "calendar_id": "primary",
            "next_pull_at": due_at or utcnow() + timedelta(hours=1),
            **fields,
        }
        for user_id in _add_users(business.id, count)
    ]
    ids = db.session.scalars(insert(GoogleConnection).returning(GoogleConnection.id), rows).all()
    db.session.commit()
    return list(ids)


def _add_users(business_id: int, count: int) -> list[int]:
    """`count` coordinators of a business, inserted at once; returns their ids."""
    first = (db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0) + 1
    users = [
        {
            "business_id": business_id,
            "email": f"scale{first + n}@example.com",
            "name": f"Coordinator {first + n}",
            "password_hash": "x",
        }
        for n in range(count)
    ]
    return list(db.session.scalars(insert(User).returning(User.id), users).all())


def add_channels(connection_ids: list[int], expires_in: timedelta, **fields) -> list[int]:
    """One open channel for each connection, expiring `expires_in` from now; returns their ids."""
    rows = [
        {
            "connection_id": cid,
            "channel_id": f"scale-{cid}-{n}-{expires_in.total_seconds():.0f}",
            "token_hash": "0" * 64,
            "calendar_id": "primary",
            "expires_at": utcnow() + expires_in,
            **fields,
        }
        for n, cid in enumerate(connection_ids)
    ]
    ids = db.session.scalars(insert(WatchChannel).returning(WatchChannel.id), rows).all()
    db.session.commit()
    return list(ids)
