"""POST /google/notify: where Google delivers push notifications (no session, no CSRF).

Google may deliver thousands a second, and each needs one Redis script (notifications.py).
Flask's own request handling (routing, the session cookie, CSRF and login hooks, a Request and
a Response object) cost more than that script, so the webhook is answered in front of Flask,
as plain WSGI: an app context for the database and Redis, the headers straight from the
environ, and an empty 200. Everything else goes on to Flask untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.datastructures import EnvironHeaders

from portal.extensions import db
from portal.google.realtime.address import NOTIFY_PATH
from portal.google.realtime.notifications import receive_notification

log = logging.getLogger(__name__)

# Google's notifications have no body; anything larger is not one of them.
MAX_BODY = 64 * 1024

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class NotifyEndpoint:
    """WSGI middleware: answers POST /google/notify itself and passes everything else on."""

    def __init__(self, app: Flask, next_app: WSGIApp) -> None:
        self.app = app
        self.next_app = next_app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != NOTIFY_PATH:
            return self.next_app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 METHOD NOT ALLOWED", [("Allow", "POST")])
        _drain(environ)
        with self.app.app_context():
            try:
                outcome = receive_notification(EnvironHeaders(environ))
                # Only a `sync` message writes (once per channel): the rest commit nothing,
                # and a channel read from the database is simply rolled back at teardown.
                if outcome == "sync":
                    db.session.commit()
            except Exception:
                db.session.rollback()
                # Not the coordinator's page: Google's delivery. 503 makes Google retry later
                # with backoff, and the safety-net pull covers it should every retry fail.
                log.exception("could not take a Google notification")
                return _answer(start_response, "503 SERVICE UNAVAILABLE")
        return _answer(start_response, "200 OK")


def install_notify_endpoint(app: Flask) -> None:
    """Put the webhook in front of the app's WSGI stack (below any proxy middleware)."""
    app.wsgi_app = NotifyEndpoint(app, app.wsgi_app)


def _drain(environ: dict[str, Any]) -> None:
    """Read what body came, so the keep-alive connection is ready for the next request."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if 0 < length <= MAX_BODY:
        environ["wsgi.input"].read(length)


def _answer(
    start_response: Callable, status: str, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    start_response(status, [("Content-Length", "0"), *(headers or [])])
    return [b""]
