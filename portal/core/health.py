"""Health checks for the database and Redis: ok/down for anyone, the reason for the log."""

from __future__ import annotations

import logging

from sqlalchemy import text

from portal.core.queue import redis_connection
from portal.extensions import db

log = logging.getLogger(__name__)


def check_database() -> bool:
    """Whether the database answers; why not goes to the log."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "down" for a health check
        db.session.rollback()
        log.warning("health: database down: %s: %s", type(exc).__name__, exc)
        return False
    return True


def check_redis() -> bool:
    """Whether Redis answers; why not goes to the log."""
    try:
        redis_connection().ping()
    except Exception as exc:  # connection refused, timeout, auth: all mean "down"
        log.warning("health: redis down: %s: %s", type(exc).__name__, exc)
        return False
    return True


def health() -> dict[str, str]:
    """Each component as "ok" or "down": all the public may know."""
    return {
        "database": "ok" if check_database() else "down",
        "redis": "ok" if check_redis() else "down",
    }
