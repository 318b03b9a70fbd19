"""Throttling the forms that take a password or send mail: log-ins and password-reset
requests, per account and per client address, and password changes, per account; counted in
Redis.

Every web process shares the counters (Flask-Limiter on the app's REDIS_URL). For log-ins
only failed attempts count, and attempts refused while throttled do not, so the real owner
waits at most one window after an attacker stops. For reset requests every request counts,
found or not, so the limit says nothing about which addresses have an account. A throttled
request is answered 429 with Retry-After and its form again, saying how long to wait.

A password change asks for the current password, so a session left open on a shared computer
would otherwise let anyone guess it without limit; only failed changes count there.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, make_response, render_template, request
from flask_limiter import RequestLimit
from flask_login import current_user

from portal.auth.accounts import normalise_email
from portal.auth.forms import LoginForm
from portal.auth.reset_forms import ForgotForm
from portal.extensions import limiter


def install_login_throttle(app: Flask) -> None:
    """Bind the limiter to this app, its counters in the app's Redis."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "coordinoter-throttle")
    # Redis down must not turn every login into an error page: count in memory meanwhile.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)


def client_address() -> str:
    """The client's address (the router's X-Forwarded-For hop, see core/proxies.py)."""
    return "address:" + (request.remote_addr or "unknown")


def account_key() -> str:
    """The account a login attempt names, hashed so Redis holds no email addresses."""
    email = normalise_email(request.form.get("email", ""))
    return "account:" + hashlib.sha256(email.encode()).hexdigest()


def failed(response: Response) -> bool:
    """Whether a login attempt failed (the form came back with its errors)."""
    return response.status_code == 400


def retry_after(limit: RequestLimit) -> int:
    """Whole seconds until the breached limit lets another attempt through."""
    return max(1, math.ceil(limit.window.reset_time - time.time()))


def wait_words(seconds: int) -> str:
    """A wait in whole minutes, as a page says it: "1 minute", "5 minutes"."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def too_many(page: str, seconds: int) -> Response:
    """A throttled request's answer: its page, 429, Retry-After in whole seconds."""
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def throttled_page(template: str, form_class: type) -> Callable[[RequestLimit], Response]:
    """An on_breach answer: the form's page, 429, saying how long to wait."""

    def answer(limit: RequestLimit) -> Response:
        seconds = retry_after(limit)
        form = form_class()
        form.email.data = request.form.get("email", "")[:254]
        page = render_template(template, form=form, throttled=wait_words(seconds))
        return too_many(page, seconds)

    return answer


def login_limits() -> Callable[[Callable], Callable]:
    """Decorate the login view with both limits (POST only, failures only)."""
    per_account = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
        key_func=account_key,
        methods=["POST"],
        deduct_when=failed,
        on_breach=throttled_page("auth/login.html", LoginForm),
    )
    per_address = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
        key_func=client_address,
        methods=["POST"],
        deduct_when=failed,
        on_breach=throttled_page("auth/login.html", LoginForm),
    )
    return lambda view: per_account(per_address(view))


def reset_limits() -> Callable[[Callable], Callable]:
    """Decorate the reset-request view with both limits (POST only, every request counts)."""
    throttled = throttled_page("auth/forgot.html", ForgotForm)
    per_account = limiter.limit(
        lambda: current_app.config["RESET_LIMIT_PER_ACCOUNT"],
        key_func=lambda: "reset-" + account_key(),
        methods=["POST"],
        on_breach=throttled,
    )
    per_address = limiter.limit(
        lambda: current_app.config["RESET_LIMIT_PER_ADDRESS"],
        key_func=lambda: "reset-" + client_address(),
        methods=["POST"],
        on_breach=throttled,
    )
    return lambda view: per_account(per_address(view))


def password_change_limits(
    on_breach: Callable[[int], Response],
) -> Callable[[Callable], Callable]:
    """Decorate the password change with a limit of failed tries per account (POST only).

    on_breach is given the seconds to wait and answers with its own page: the settings page
    holds more than one form, which this module knows nothing of.
    """
    return limiter.limit(
        lambda: current_app.config["PASSWORD_CHANGE_LIMIT"],
        key_func=lambda: f"password-change-user:{current_user.id}",
        methods=["POST"],
        deduct_when=failed,
        on_breach=lambda limit: on_breach(retry_after(limit)),
    )
