"""What the processes log: errors and events worth reading, not the routine of every second.

The calendar page asks for its fingerprint once a second and the clock runs jobs every
minute; logged line by line they bury everything else (over a thousand lines an hour for one
open page). They are kept out unless VERBOSE is set.
"""

from __future__ import annotations

import logging

from flask import Flask

from portal.core.access_log import redact_werkzeug_requests

# Requests a page makes by itself while it is open (the week's poll, a card refreshing itself).
ROUTINE_REQUESTS = (
    '"GET /calendar/fingerprint',
    '"GET /portal/integrations/google/card',
    '"GET /healthz',
)
# RQ's loggers: every job started, finished and kept, every cron tick and scheduler pass.
RQ_LOGGERS = ("rq.worker", "rq.job", "rq.scheduler", "rq.cron")


def configure_logging(app: Flask) -> None:
    """Log INFO to stderr, with the routine lines left out unless VERBOSE_LOGS."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Alembic announces every plugin it loads; operators need none of that.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    redact_werkzeug_requests()
    if app.config["VERBOSE_LOGS"]:
        return
    logging.getLogger("werkzeug").addFilter(_not_routine_request)
    for name in RQ_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def routine_level(app: Flask) -> str:
    """The level RQ's worker and scheduler log at (they set it on their own loggers)."""
    return "INFO" if app.config["VERBOSE_LOGS"] else "WARNING"


def _not_routine_request(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    return not any(marker in message for marker in ROUTINE_REQUESTS)
