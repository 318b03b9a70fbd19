"""The Procfile's web process (gunicorn with gunicorn.conf.py) for this test's portal."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import requests
from flask import Flask

from tests.support.processes import ROOT, environment_of, free_port, stop, wait_for

GUNICORN = Path(sys.executable).parent / "gunicorn"


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@contextlib.contextmanager
def gunicorn_serving(app: Flask, log: Path, **env: str) -> Iterator[str]:
    """`gunicorn wsgi:app` on a free loopback port, output to `log`; yields its base URL."""
    port = free_port()
    environment = {**environment_of(app), "PORT": str(port), **env}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(GUNICORN), "wsgi:app", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: process.poll() is not None or _answers(url + "/healthz"), timeout=60)
        assert process.poll() is None, log.read_text()
        yield url
    finally:
        stop(process)
