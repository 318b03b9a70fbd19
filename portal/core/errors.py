"""Error pages: a clear message on a page, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: "That request could not be understood. Please check the form and try again.",
    403: "You do not have access to that.",
    404: "We could not find that page. It may have been removed or belong to another business.",
    405: "That action is not allowed here.",
    413: "That request was too large.",
    429: "Too many attempts. Please wait a few minutes and try again.",
    500: "Something went wrong on our side. Nothing was saved; please try again.",
}


def _page(code: int, message: str):
    return render_template("error.html", code=code, message=message), code


def register(app: Flask) -> None:
    """Install the handlers for HTTP errors, CSRF failures and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        """The form expired or was forged."""
        return _page(400, "Your form expired. Please reload the page and try again.")

    @app.errorhandler(RateLimitExceeded)
    def throttled(error: RateLimitExceeded):
        """A throttled request: the page the limit built (auth/throttle.py), else a plain one."""
        if error.response is not None:
            return error.response
        return _page(429, MESSAGES[429])

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Known HTTP errors as a page with a plain message."""
        code = error.code or 500
        return _page(code, MESSAGES.get(code, error.description or "Request failed."))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        """Anything else: roll back, log, and show a calm page."""
        db.session.rollback()
        log.exception("unhandled error")
        return _page(500, MESSAGES[500])
