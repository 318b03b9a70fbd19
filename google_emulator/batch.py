"""Batch requests: multipart/mixed in, each part run through the same handlers, multipart out."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from werkzeug.http import parse_options_header
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .app import google_method
from .errors import ApiError

bp = Blueprint("batch", __name__)

MAX_PARTS = 1000
API_ROOT = "/calendar/v3"


@dataclass
class Part:
    """One inner request of a batch."""

    content_id: str | None
    method: str
    target: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _headers(block: str) -> list[tuple[str, str]]:
    out = []
    for line in block.split("\n"):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"bad header line {line!r}")
        out.append((name.strip(), value.strip()))
    return out


def parse(raw: bytes, boundary: str) -> list[Part]:
    """The parts of a multipart/mixed batch body (LF or CRLF line endings)."""
    # google-api-python-client sends bare LF. JSON bodies cannot hold raw line breaks,
    # so normalising CRLF to LF is lossless.
    text = "\n" + raw.decode("utf-8").replace("\r\n", "\n")
    parts: list[Part] = []
    for segment in text.split("\n--" + boundary)[1:]:
        if segment.startswith("--"):
            break
        segment = segment.partition("\n")[2]
        outer, _, inner = segment.partition("\n\n")
        outer_headers = {k.lower(): v for k, v in _headers(outer)}
        request_line, _, rest = inner.lstrip("\n").partition("\n")
        fields = request_line.split()
        if len(fields) < 2:
            raise ValueError(f"bad request line {request_line!r}")
        if rest.startswith("\n"):
            head, body = "", rest[1:]
        else:
            head, _, body = rest.partition("\n\n")
        parts.append(
            Part(
                content_id=outer_headers.get("content-id"),
                method=fields[0].upper(),
                target=fields[1],
                headers=_headers(head),
                body=body.rstrip("\n").encode(),
            )
        )
    return parts


def _response_id(content_id: str | None, index: int) -> str:
    if not content_id:
        return f"<response-item{index}>"
    if content_id.startswith("<") and content_id.endswith(">"):
        return f"<response-{content_id[1:-1]}>"
    return f"response-{content_id}"


def _run(part: Part) -> tuple[int, list[tuple[str, str]], bytes]:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    parsed = urlsplit(part.target)
    path = parsed.path
    if not (path == API_ROOT or path.startswith(API_ROOT + "/")):
        err = ApiError(404, "notFound", "Not Found").response()
        return err.status_code, [("Content-Type", err.content_type)], err.get_data()
    headers = [
        (k, v)
        for k, v in part.headers
        if k.lower() not in ("content-length", "host", "content-type")
    ]
    content_type = next((v for k, v in part.headers if k.lower() == "content-type"), None)
    if not any(k.lower() == "authorization" for k, _ in headers):
        outer = request.headers.get("Authorization")
        if outer:
            headers.append(("Authorization", outer))
    builder = EnvironBuilder(
        path=path,
        query_string=parsed.query,
        method=part.method,
        headers=headers,
        data=part.body,
        content_type=content_type,
        base_url=request.host_url,
        environ_base={"REMOTE_ADDR": request.remote_addr or "127.0.0.1"},
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["gemu.in_batch"] = True
    app_iter, status, resp_headers = run_wsgi_app(app.wsgi_app, environ, buffered=True)
    try:
        body = b"".join(app_iter)
    finally:
        if hasattr(app_iter, "close"):
            app_iter.close()
    code = int(status.split()[0])
    return code, list(resp_headers.items()), body


@bp.route("/batch/calendar/v3", methods=["POST"])
@bp.route("/batch", methods=["POST"])
@google_method("batch")
def batch() -> Response:
    """Run every part of a batch and answer them together."""
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    boundary = options.get("boundary")
    if mimetype != "multipart/mixed" or not boundary:
        raise ApiError(400, "badRequest", "Batch requests must be multipart/mixed.")
    try:
        parts = parse(request.get_data(), boundary)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "badRequest", "Failed to parse batch request.") from None
    if not parts:
        raise ApiError(400, "badRequest", "Empty batch request.")
    if len(parts) > MAX_PARTS:
        raise ApiError(
            400, "badRequest", f"A batch request cannot contain more than {MAX_PARTS} requests."
        )
    out_boundary = "batch_" + secrets.token_hex(12)
    chunks: list[bytes] = []
    for index, part in enumerate(parts, 1):
        code, headers, body = _run(part)
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [
            f"--{out_boundary}",
            "Content-Type: application/http",
            f"Content-ID: {_response_id(part.content_id, index)}",
            "",
            f"HTTP/1.1 {code} {phrase}",
        ]
        for name, value in headers:
            if name.lower() in ("content-type", "etag", "retry-after", "www-authenticate"):
                lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(body)}")
        lines.append("")
        chunks.append("\r\n".join(lines).encode() + b"\r\n" + body + b"\r\n")
    chunks.append(f"--{out_boundary}--\r\n".encode())
    return Response(
        b"".join(chunks), status=200, content_type=f"multipart/mixed; boundary={out_boundary}"
    )
