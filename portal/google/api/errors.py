"""Google's error answers, and the network failing before Google could answer."""

from __future__ import annotations

import requests

# Google's usage limits: the errors guide says to back off and try again for each of them,
# quotaExceeded ("Calendar usage limits exceeded.") and dailyLimitExceeded included.
USAGE_LIMIT_403 = {
    "rateLimitExceeded",
    "userRateLimitExceeded",
    "quotaExceeded",
    "dailyLimitExceeded",
}


class GoogleApiError(Exception):
    """An error answer from Google, with its status and first reason."""

    def __init__(
        self, status: int, reason: str = "", message: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {reason}: {message}".strip())
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """Whether backing off and trying again may succeed."""
        return self.status in (500, 502, 503, 504) or self.usage_limited

    @property
    def usage_limited(self) -> bool:
        """Whether Google is limiting how many requests it takes (temporary by nature)."""
        return self.status == 429 or (self.status == 403 and self.reason in USAGE_LIMIT_403)

    @classmethod
    def from_response(cls, response: requests.Response) -> GoogleApiError:
        """Read Google's error envelope (or whatever came back) into an exception."""
        reason, message = "", response.reason or ""
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        if isinstance(error, dict):
            message = error.get("message", message)
            errors = error.get("errors") or [{}]
            reason = errors[0].get("reason", "") or error.get("status", "")
        elif isinstance(error, str):  # OAuth-style {"error": "invalid_grant"}
            reason = error
        return cls(response.status_code, reason, message, _retry_after(response))


class GoogleUnavailable(GoogleApiError):
    """The network failed before Google answered (timeout, refused, reset)."""

    def __init__(self, message: str) -> None:
        super().__init__(503, "networkError", message)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
