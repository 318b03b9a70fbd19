"""Batch requests: up to 1000 Calendar calls in one multipart/mixed HTTP request."""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests

from portal.google.api.calls import Call
from portal.google.api.errors import GoogleApiError, GoogleUnavailable


@dataclass
class BatchResult:
    """One answer from a batch response, in request order."""

    status: int
    body: dict | None
    error: GoogleApiError | None = None


def encode_batch(calls: list[Call], boundary: str, prefix: str) -> str:
    """The multipart body of a batch: one application/http part per call."""
    parts = []
    for index, call in enumerate(calls):
        lines = [
            f"--{boundary}",
            "Content-Type: application/http",
            f"Content-ID: <item{index}>",
            "",
            f"{call.method} {prefix}{call.target} HTTP/1.1",
        ]
        lines += [f"{k}: {v}" for k, v in call.headers.items()]
        if call.body is not None:
            lines += ["Content-Type: application/json", "", json.dumps(call.body)]
        else:
            lines += [""]
        parts.append("\r\n".join(lines))
    return "\r\n".join(parts) + f"\r\n--{boundary}--\r\n"


def decode_batch(response: requests.Response, expected: int) -> list[BatchResult]:
    """The parts of a batch response in call order; a part left unanswered has status 0."""
    content_type = response.headers.get("Content-Type", "")
    boundary = content_type.split("boundary=", 1)[-1].strip('"; ')
    text = response.text.replace("\r\n", "\n")
    results: dict[int, BatchResult] = {}
    for chunk in text.split(f"--{boundary}")[1:]:
        if chunk.startswith("--"):
            break
        outer, _, inner = chunk.strip("\n").partition("\n\n")
        index = _content_index(outer)
        status_line, _, rest = inner.partition("\n")
        status = int(status_line.split()[1])
        _, _, payload = rest.partition("\n\n")
        body = json.loads(payload) if payload.strip() else None
        error = None
        if status >= 400:
            envelope = (body or {}).get("error", {})
            reasons = envelope.get("errors") or [{}]
            reason = reasons[0].get("reason", "")
            error = GoogleApiError(status, reason, envelope.get("message", ""))
        results[index] = BatchResult(status, body, error)
    missing = BatchResult(0, None, GoogleUnavailable("no answer for this part"))
    return [results.get(i, missing) for i in range(expected)]


def _content_index(headers: str) -> int:
    for line in headers.split("\n"):
        if line.lower().startswith("content-id:"):
            value = line.split(":", 1)[1].strip().strip("<>")
            digits = value.rsplit("item", 1)[-1]
            if digits.isdigit():
                return int(digits)
    return -1
