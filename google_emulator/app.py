"""The Flask application: routes at Google's own paths, plus request hooks for faults and logs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from . import timefmt
from .errors import ApiError, OAuthError, fault_error, fault_oauth_error, json_response
from .state import EmulatorState

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
API_PREFIXES = ("/calendar/v3", "/batch")
OAUTH_METHODS = {"oauth2.token", "oauth2.revoke", "oauth2.userinfo"}


def google_method(method_id: str) -> Callable[[F], F]:
    """Tag a view with the Google method id it implements (for faults, logs and counts)."""

    def mark(view: F) -> F:
        view._google_method = method_id  # type: ignore[attr-defined]
        return view

    return mark


def get_state() -> EmulatorState:
    """The EmulatorState of the running app."""
    return current_app.extensions["google_emulator"]


def bearer_token() -> str | None:
    """The bearer token of the current request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _is_api_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in API_PREFIXES)


def _before() -> Response | None:
    state = get_state()
    env = request.environ
    view = current_app.view_functions.get(request.endpoint or "")
    method = getattr(view, "_google_method", None)
    if method is None and _is_api_path(request.path):
        method = "unknown"
    env["gemu.method"] = method
    env["gemu.start"] = time.time()
    if method is None:
        return None
    token = state.authenticate(bearer_token())
    if token is not None:
        env["gemu.user"] = token.email
        env["gemu.client"] = token.client_id
    fault = state.monitor.take_fault(method)
    if fault is not None:
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status:
            if method in OAUTH_METHODS:
                resp = fault_oauth_error(fault.status, fault.reason).response()
            else:
                resp = fault_error(fault.status, fault.reason).response()
            if fault.retry_after is not None:
                resp.headers["Retry-After"] = str(fault.retry_after)
            env["gemu.fault"] = True
            return resp
    if method.startswith("calendar.") and token is not None:
        return _over_quota(state, token.email, token.client_id)
    return None


def _over_quota(state: EmulatorState, user: str, client_id: str) -> Response | None:
    """Google's per-user, then per-project, per-minute limits (each part of a batch counts)."""
    if state.monitor.over_quota(user, state.user_quota_per_minute):
        return ApiError(
            403, "userRateLimitExceeded", "User Rate Limit Exceeded", domain="usageLimits"
        ).response()
    if state.monitor.over_quota("project:" + client_id, state.project_quota_per_minute):
        return ApiError(
            403, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits"
        ).response()
    return None


def _after(resp: Response) -> Response:
    env = request.environ
    method = env.get("gemu.method")
    if method is None:
        return resp
    state = get_state()
    query: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        query[key] = values[0] if len(values) == 1 else values
    body: Any = None
    if request.mimetype == "application/json":
        try:
            body = json.loads(request.get_data(cache=True) or b"null")
        except ValueError:
            body = None
    state.monitor.record(
        {
            "time": timefmt.rfc3339_ms(timefmt.utcnow()),
            "method": method,
            "http_method": request.method,
            "path": request.path,
            "status": resp.status_code,
            "user": env.get("gemu.user"),
            "client_id": env.get("gemu.client"),
            "in_batch": bool(env.get("gemu.in_batch")),
            "query": query,
            "send_updates": request.args.get("sendUpdates"),
            "body": body,
            "fault": bool(env.get("gemu.fault")),
            "duration": round(time.time() - env.get("gemu.start", time.time()), 4),
        }
    )
    return resp


def _http_error(exc: HTTPException) -> Response | HTTPException:
    if not _is_api_path(request.path):
        return exc
    code = exc.code or 500
    if code == 404:
        return ApiError(404, "notFound", "Not Found").response()
    if code == 405:
        return ApiError(405, "httpMethodNotAllowed", "Method Not Allowed").response()
    if code == 413:
        return ApiError(413, "uploadTooLarge", "Request Entity Too Large").response()
    return ApiError(code, "badRequest", exc.description or "Bad Request").response()


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        result = _http_error(exc)
        return result if isinstance(result, Response) else exc.get_response()
    log.exception("unexpected error")
    if _is_api_path(request.path):
        return ApiError(500, "backendError", "Backend Error").response()
    return json_response({"error": "internal_failure", "error_description": str(exc)}, 500)


def create_app(state: EmulatorState | None = None) -> Flask:
    """A Flask app serving the emulator over a state (a fresh one if none is given)."""
    from . import batch, calendar_api, control, control_people, oauth, ui, ui_people

    app = Flask(__name__, template_folder="templates")
    app.extensions["google_emulator"] = state or EmulatorState()
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    app.register_blueprint(oauth.bp)
    app.register_blueprint(calendar_api.bp)
    app.register_blueprint(batch.bp)
    app.register_blueprint(control.bp)
    app.register_blueprint(control_people.bp)
    app.register_blueprint(ui.bp)
    app.register_blueprint(ui_people.bp)
    app.before_request(_before)
    app.after_request(_after)
    app.register_error_handler(ApiError, lambda e: e.response())
    app.register_error_handler(OAuthError, lambda e: e.response())
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app
