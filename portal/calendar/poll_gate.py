"""GET /calendar/fingerprint answered in front of Flask while the coordinator's week mark stands.

Every open calendar polls once a second. Through Flask that is a session, a user load and an
aggregate query each time, to learn that nothing changed. The page carries instead a poll
ticket: the coordinator's week mark (poll_marks.py) when it was drawn, an expiry, and an HMAC
over both, the week, its fingerprint and the session's identity ("<user id>.<session
version>"). The gate, plain WSGI like the webhook, verifies the session cookie as Flask would
(its own serializer, no request machinery), checks the ticket and compares the mark: the
same mark still there means nothing the week shows has been committed since, and it answers
204. A page repeats the same cookie and query every second, so what was verified is
remembered under those strings until the ticket expires, and the mark comes from the
process's copy that Redis keeps true (mark_cache.py): an unchanged poll costs no round trip.
Anything else (no ticket, a bad or expired one, another session's cookie, a moved mark,
Redis down) goes on to Flask's route, which stays the source of truth and hands out a fresh
ticket when only the ticket was stale. So the gate can only ever say "unchanged" to the
session the ticket was made for, and never for longer than a ticket lives.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

from flask import Flask, current_app, g
from flask_login import current_user
from werkzeug.http import parse_cookie

from portal.calendar.mark_cache import mark_cache
from portal.calendar.poll_marks import MARK_PREFIX, install_mark_hooks, mark_key
from portal.core.queue import redis_connection

log = logging.getLogger(__name__)

POLL_PATH = "/calendar/fingerprint"
# How long the gate may answer for a page before Flask looks again: the bound on a bump
# lost between a commit and Redis (a killed process, Redis restarting).
TICKET_SECONDS = 60
# Session cookies a web process remembers as verified (one per open page, roughly).
VERIFIED_COOKIES = 10_000

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


@lru_cache(maxsize=8)
def _ticket_key(secret: str | bytes) -> bytes:
    """A key of the tickets' own, derived from SECRET_KEY (never the cookie's key itself)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, b"coordinoter week poll ticket", hashlib.sha256).digest()


def _signature(key: bytes, identity: str, week: str, seen: str, mark: str, until: str) -> str:
    message = "|".join((identity, week, seen, mark, until)).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_ticket(secret: str | bytes, identity: str, week: str, seen: str, mark: str) -> str:
    """A ticket "<mark>.<expiry>.<signature>" for this session, week and fingerprint."""
    until = str(int(time.time()) + TICKET_SECONDS)
    signature = _signature(_ticket_key(secret), identity, week, seen, mark, until)
    return f"{mark}.{until}.{signature}"


def ticket_mark(secret: str | bytes, identity: str, args: Mapping[str, str]) -> str | None:
    """The mark a poll's ticket vouches for, if it is this session's, unexpired and intact."""
    mark, _, rest = (args.get("poll") or "").partition(".")
    until, _, signature = rest.partition(".")
    if not (mark and until.isdigit() and signature) or int(until) < time.time():
        return None
    week = _signed_week(args.get("week") or "", args.get("coordinator"))
    seen = args.get("seen") or ""
    expected = _signature(_ticket_key(secret), identity, week, seen, mark, until)
    return mark if hmac.compare_digest(expected, signature) else None


def _signed_week(week: str, coordinator: str | None) -> str:
    """What a ticket signs as its week: an admin's view of a colleague's names them too."""
    return f"{week}@{coordinator}" if coordinator else week


def week_poll(
    monday: date, seen: str | None, mark: str | None, view: str = "week"
) -> dict[str, str | None]:
    """Template global: the poller's query (week, fingerprint and, with a mark, the ticket).

    `week` is the view's first day; a day or three-day view adds `view`, which the ticket need
    not sign: the fingerprint names the view's length, and the mark is the coordinator's whole
    calendar, whatever view is polling.
    """
    week = monday.isoformat()
    params: dict[str, str | None] = {"week": week, "seen": seen}
    if view != "week":
        params["view"] = view
    if mark and seen and current_user.is_authenticated:
        identity = current_user.get_id()
        # Viewing a colleague's calendar (calendar/owner.py): their mark, signed into the ticket.
        coordinator = g.get("viewed_coordinator")
        if coordinator is not None:
            params["coordinator"] = str(coordinator)
        signed = _signed_week(week, params.get("coordinator"))
        params["poll"] = make_ticket(current_app.secret_key, identity, signed, seen, mark)
    return params


class PollGate:
    """WSGI middleware: answers an unchanged week poll with 204; everything else goes on."""

    def __init__(self, app: Flask, next_app: WSGIApp) -> None:
        self.app = app
        self.next_app = next_app
        # Cookie strings whose signature held: (identity, until when its age allows it).
        self.verified: dict[tuple[Any, str], tuple[str, float]] = {}
        # (Cookie header, query) pairs whose ticket held: (coordinator, mark, until when).
        self.vouched: dict[tuple[str, str], tuple[str, str, float]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        is_poll = environ.get("PATH_INFO") == POLL_PATH and environ.get("REQUEST_METHOD") == "GET"
        if is_poll and self.unchanged(environ):
            start_response("204 NO CONTENT", [("Cache-Control", "no-store")])
            return [b""]
        return self.next_app(environ, start_response)

    def unchanged(self, environ: dict[str, Any]) -> bool:
        """Whether this poll's ticket is its session's own and the mark it holds still stands."""
        try:
            vouched = self.vouched_for(environ)
            return vouched is not None and self.stored_mark(vouched[0]) == vouched[1]
        except Exception as exc:  # any doubt at all: Flask answers
            log.debug("week poll passed on to Flask: %r", exc)
            return False

    def vouched_for(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """The coordinator and mark this poll's ticket vouches for, if it is its session's own.

        A page sends the same cookie and query every second until its ticket expires: once
        verified, the pair is remembered under exactly those two strings until then.
        """
        key = (environ.get("HTTP_COOKIE", ""), environ.get("QUERY_STRING", ""))
        known = self.vouched.get(key)
        if known is not None and known[2] > time.time():
            return known[0], known[1]
        query = {k: v[0] for k, v in parse_qs(key[1]).items()}
        session = self.session_of(environ) if "poll" in query else None
        mark = session and ticket_mark(self.app.secret_key, session[0], query)
        if not mark:
            return None
        # The ticket signs the coordinator, so only a calendar Flask let it see is read.
        owner = query.get("coordinator") or session[0].partition(".")[0]
        until = min(float(query["poll"].split(".")[1]), session[1])
        if len(self.vouched) >= VERIFIED_COOKIES:
            self.vouched.clear()  # bounded; the next polls verify again
        self.vouched[key] = (owner, mark, until)
        return owner, mark

    def session_of(self, environ: dict[str, Any]) -> tuple[str, float] | None:
        """The session cookie's "<user id>.<session version>", verified as Flask verifies it,
        and until when its signed age lets it stand."""
        value = parse_cookie(environ).get(self.app.config["SESSION_COOKIE_NAME"])
        if not value:
            return None
        # A page sends the same cookie every second: its signature is checked once, then the
        # verified string is known until its signed age runs out (HMACs were half the cost).
        key = (self.app.secret_key, value)
        known = self.verified.get(key)
        if known is not None and known[1] > time.time():
            return known
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        if serializer is None:
            return None
        max_age = self.app.permanent_session_lifetime.total_seconds()
        payload, signed = serializer.loads(value, max_age=max_age, return_timestamp=True)
        user_id = payload.get("_user_id")
        if not isinstance(user_id, str):
            return None
        if len(self.verified) >= VERIFIED_COOKIES:
            self.verified.clear()  # bounded; the next polls verify again
        self.verified[key] = (user_id, signed.timestamp() + max_age)
        return self.verified[key]

    def stored_mark(self, owner: str) -> str | None:
        """The mark of the calendar's coordinator (user id): this process's copy while Redis
        vouches for it (mark_cache.py), else one GET."""
        redis = self.app.extensions.get("coordinoter_redis")
        if redis is None:
            with self.app.app_context():
                redis = redis_connection()
        key = mark_key(int(owner))

        def read() -> str | None:
            value = redis.get(key)
            return value.decode() if value else None

        return mark_cache(redis, MARK_PREFIX).get(key, read)


def install_poll_gate(app: Flask) -> None:
    """Mount the gate in front of the app, give templates the poller's query, hook the marks."""
    install_mark_hooks()
    app.add_template_global(week_poll, "week_poll")
    app.wsgi_app = PollGate(app, app.wsgi_app)
