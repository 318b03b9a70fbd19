"""Health checks for the database and Redis."""

from __future__ import annotations

from sqlalchemy import text

from portal.core.queue import redis_connection
from portal.extensions import db


def check_database() -> str | None:
    """None when the database answers, else a short reason."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "down" for a health check
        db.session.rollback()
        return f"database: {type(exc).__name__}"
    return None


def check_redis() -> str | None:
    """None when Redis answers, else a short reason."""
    try:
        redis_connection().ping()
    except Exception as exc:  # connection refused, timeout, auth: all mean "down"
        return f"redis: {type(exc).__name__}"
    return None
