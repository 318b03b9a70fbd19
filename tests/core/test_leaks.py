"""Nothing secret in the logs: no OAuth code or state in access logs, no SQL parameters."""

from __future__ import annotations

import logging

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.core.access_log import redact, redact_werkzeug_requests
from portal.extensions import db
from tests.support.web import gunicorn_serving

CALLBACK = "/google/callback?state=st4te-s3cret&code=4%2F0AcodeS3cret&scope=calendar"


@pytest.mark.parametrize(
    "line",
    [
        f"GET {CALLBACK} HTTP/1.1",
        "state=st4te-s3cret&code=4%2F0AcodeS3cret",
        f"http://localhost:5000{CALLBACK}",
    ],
)
def test_redact_hides_code_and_state_and_keeps_the_rest(line):
    redacted = redact(line)
    assert "s3cret" not in redacted.lower() and "S3cret" not in redacted
    assert "code=[redacted]" in redacted and "state=[redacted]" in redacted
    assert (
        redact("GET /calendar?week=2026-10-05 HTTP/1.1") == "GET /calendar?week=2026-10-05 HTTP/1.1"
    )


def test_the_gunicorn_access_log_never_records_the_callbacks_code(app, tmp_path):
    log = tmp_path / "web.log"
    with gunicorn_serving(app, log, GUNICORN_ACCESS_LOG="-") as url:
        requests.get(url + CALLBACK, timeout=10, allow_redirects=False)
        requests.get(url + "/login?next=/calendar", timeout=10)
    written = log.read_text()
    assert "/google/callback?state=[redacted]&code=[redacted]&scope=calendar" in written
    assert "/login?next=/calendar" in written
    assert "S3cret" not in written and "s3cret" not in written


def test_the_development_server_log_never_records_the_callbacks_code(caplog):
    redact_werkzeug_requests()
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('"%s" %s %s', f"GET {CALLBACK} HTTP/1.1", 302, "-")
    assert "S3cret" not in caplog.text and "code=[redacted]" in caplog.text


def test_sql_errors_carry_no_parameters(app):
    with pytest.raises(DBAPIError) as failure:
        db.session.execute(text("SELECT :ndis FROM no_such_table"), {"ndis": "430999111"})
    db.session.rollback()
    assert "430999111" not in str(failure.value)
    assert "hidden" in str(failure.value)
