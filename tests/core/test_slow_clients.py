"""Slow clients cannot starve the web process in its shipped shape (gunicorn.conf.py)."""

from __future__ import annotations

import requests

from bench.slow_clients import healthz_latencies, slow_bodies
from tests.support.web import gunicorn_serving


def test_healthz_and_login_answer_within_a_second_while_64_bodies_never_come(app, tmp_path):
    with gunicorn_serving(app, tmp_path / "web.log") as url:
        healthz_latencies(url, asks=2)  # warm: the first answers load what they import
        with slow_bodies(url, 64) as opened:
            assert len(opened) == 64
            assert max(healthz_latencies(url, asks=5)) <= 1000
            login = requests.get(url + "/login", timeout=1)
            assert login.status_code == 200
