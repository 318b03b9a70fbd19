"""Google-style errors: the Calendar v3 JSON envelope and OAuth error bodies."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

# Google's canonical gRPC status names, by HTTP code, as seen in Calendar v3 envelopes.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# Reason and message Google uses by default for a bare status code (used by fault injection).
DEFAULT_REASONS = {
    400: ("badRequest", "Bad Request"),
    401: ("authError", "Invalid Credentials"),
    403: ("rateLimitExceeded", "Rate Limit Exceeded"),
    404: ("notFound", "Not Found"),
    405: ("httpMethodNotAllowed", "Method Not Allowed"),
    409: ("duplicate", "The requested identifier already exists."),
    410: ("fullSyncRequired", "Sync token is no longer valid, a full sync is required."),
    412: ("conditionNotMet", "Precondition Failed"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    502: ("backendError", "Bad Gateway"),
    503: ("backendError", "The service is currently unavailable."),
    504: ("backendError", "Deadline Exceeded"),
}

REASON_MESSAGES = {
    "authError": "Invalid Credentials",
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
    "dailyLimitExceeded": "Daily Limit Exceeded",
    "insufficientPermissions": "Request had insufficient authentication scopes.",
    "forbiddenForNonOrganizer": (
        "Shared properties can only be changed by the organizer of the event."
    ),
    "eventTypeRestriction": "The event type does not allow this change.",
    "notFound": "Not Found",
    "duplicate": "The requested identifier already exists.",
    "deleted": "Resource has been deleted",
    "fullSyncRequired": "Sync token is no longer valid, a full sync is required.",
    "conditionNotMet": "Precondition Failed",
    "backendError": "Backend Error",
    "timeRangeEmpty": "The specified time range is empty.",
}

# "Handle API errors" (https://developers.google.com/workspace/calendar/api/guides/errors):
# usage-limit refusals carry domain "usageLimits"; quotaExceeded is "Calendar usage limits
# exceeded."; dailyLimitExceeded is the generic Google API daily-quota reason (its message
# as Google APIs word it). All are temporary: clients back off and retry.
REASON_DOMAINS = {
    "rateLimitExceeded": "usageLimits",
    "userRateLimitExceeded": "usageLimits",
    "quotaExceeded": "usageLimits",
    "dailyLimitExceeded": "usageLimits",
    "forbiddenForNonOrganizer": "calendar",
    "eventTypeRestriction": "calendar",
    "timeRangeEmpty": "calendar",
}

# The OAuth endpoints answer RFC 6749 bodies, not the API envelope.
OAUTH_DEFAULTS = {
    400: ("invalid_grant", "Token has been expired or revoked."),
    401: ("invalid_client", "Unauthorized"),
    403: ("access_denied", "Forbidden"),
    429: ("rate_limit_exceeded", "Rate Limit Exceeded"),
    500: ("internal_failure", "Backend Error"),
    503: ("temporarily_unavailable", "The service is currently unavailable."),
}


class ApiError(Exception):
    """A Calendar v3 error answered with Google's envelope."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str | None = None,
        *,
        location: str | None = None,
        location_type: str | None = None,
        domain: str = "global",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.reason = reason
        self.message = (
            message or REASON_MESSAGES.get(reason) or DEFAULT_REASONS.get(code, (reason, reason))[1]
        )
        self.location = location
        self.location_type = location_type
        self.domain = domain
        self.headers = headers or {}
        super().__init__(f"{code} {reason}: {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON envelope of this error."""
        item: dict[str, Any] = {
            "domain": self.domain,
            "reason": self.reason,
            "message": self.message,
        }
        if self.location_type:
            item["locationType"] = self.location_type
        if self.location:
            item["location"] = self.location
        error: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [item]}
        status = STATUS_NAMES.get(self.code)
        if status:
            error["status"] = status
        return {"error": error}

    def response(self) -> Response:
        """A Flask response carrying the envelope."""
        resp = json_response(self.body(), self.code)
        for name, value in self.headers.items():
            resp.headers[name] = value
        return resp


class OAuthError(Exception):
    """An OAuth endpoint error answered as {"error", "error_description"}."""

    def __init__(
        self, code: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        self.code = code
        self.error = error
        self.description = description
        self.headers = headers or {}
        super().__init__(f"{code} {error}: {description}")

    def response(self) -> Response:
        """A Flask response carrying the OAuth error body."""
        resp = json_response(
            {"error": self.error, "error_description": self.description}, self.code
        )
        resp.headers["Cache-Control"] = "no-store"
        for name, value in self.headers.items():
            resp.headers[name] = value
        return resp


def unauthorized() -> ApiError:
    """The 401 Google answers for a missing, expired or revoked access token."""
    return ApiError(
        401,
        "authError",
        "Invalid Credentials",
        location="Authorization",
        location_type="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def not_found() -> ApiError:
    """The plain 404 notFound."""
    return ApiError(404, "notFound", "Not Found")


def fault_error(code: int, reason: str | None) -> ApiError:
    """An API error built from a bare status code and optional reason (fault injection)."""
    default_reason, default_message = DEFAULT_REASONS.get(code, ("backendError", "Error"))
    reason = reason or default_reason
    message = REASON_MESSAGES.get(reason, default_message)
    if reason == "authError":
        err = unauthorized()
        err.code = code
        return err
    return ApiError(code, reason, message, domain=REASON_DOMAINS.get(reason, "global"))


def fault_oauth_error(code: int, reason: str | None) -> OAuthError:
    """An OAuth error body built from a bare status code and optional error name."""
    default_error, description = OAUTH_DEFAULTS.get(code, ("internal_failure", "Backend Error"))
    error = reason or default_error
    if error == "invalid_grant" and reason:
        description = "Token has been expired or revoked."
    return OAuthError(code, error, description)


def json_response(body: Any, code: int = 200) -> Response:
    """JSON with Google's content type."""
    return Response(
        json.dumps(body, indent=1) + "\n",
        status=code,
        content_type="application/json; charset=UTF-8",
    )
