"""Slow clients: /healthz while 16 and 64 connections send a Content-Length and no body.

Each slow connection sends the headers of `POST /google/notify` or `POST /login` with
`Content-Length: 1000` and then nothing, as a slow or hostile client does. Meanwhile
/healthz is asked 10 times in a row (each given 3 s at most). The ceiling is the same
/healthz with no slow connection open, measured in the same run. The shipped shape
(gunicorn.conf.py) runs first, then the former one (gthread, 2 × 4 threads) for comparison.
Loopback only; every socket has a timeout and the run stops by itself (~1 min).

    .venv/bin/python -m bench.slow_clients [--connections 16,64]
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import time
from collections.abc import Iterator

import requests

from bench import figures
from bench.harness import Stack

NAME = "slow_clients"
PATHS = ("/google/notify", "/login")
ASKS = 10
ASK_TIMEOUT = 3.0
SHAPES = (("shipped (gunicorn.conf.py)", ()), ("former: gthread 2 × 4", ("-k", "gthread")))


@contextlib.contextmanager
def slow_bodies(base_url: str, count: int) -> Iterator[list[socket.socket]]:
    """`count` loopback connections that sent a request's headers and never its body."""
    host, port = base_url.removeprefix("http://").split(":")
    assert host in ("127.0.0.1", "localhost"), "loopback only"
    opened: list[socket.socket] = []
    try:
        for n in range(count):
            conn = socket.create_connection((host, int(port)), timeout=5)
            path = PATHS[n % len(PATHS)]
            conn.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 1000\r\n\r\n".encode()
            )
            opened.append(conn)
        # Let the server accept them all and start waiting for the bodies.
        time.sleep(0.5)
        yield opened
    finally:
        for conn in opened:
            conn.close()


def healthz_latencies(base_url: str, asks: int = ASKS) -> list[float]:
    """Milliseconds each /healthz took, one after another; a timeout counts as ASK_TIMEOUT."""
    samples = []
    for _ in range(asks):
        started = time.monotonic()
        try:
            ok = requests.get(base_url + "/healthz", timeout=ASK_TIMEOUT).status_code == 200
        except requests.RequestException:
            ok = False
        elapsed = (time.monotonic() - started) * 1000
        samples.append(elapsed if ok else ASK_TIMEOUT * 1000)
    return samples


def measure(base_url: str, counts: tuple[int, ...]) -> dict[str, list[float]]:
    """/healthz latencies with no slow connection (the ceiling), then with each count open."""
    runs = {"ceiling: no slow connection": healthz_latencies(base_url)}
    for count in counts:
        with slow_bodies(base_url, count):
            runs[f"{count} slow-body connections open"] = healthz_latencies(base_url)
    return runs


def run(counts: tuple[int, ...] = (16, 64)) -> list[figures.Figure]:
    """Measure each shape; the shipped one must answer /healthz within 1 s at 64 open."""
    rows, details = [], {}
    with Stack(workers=0, web=False) as stack:
        for label, extra in SHAPES:
            stack.start_web(2, 4, extra)
            runs = measure(stack.public_url, counts)
            details[label] = runs
            for what, samples in runs.items():
                worst = max(samples)
                target = "ceiling" if what.startswith("ceiling") else "max ≤ 1 s"
                met = None if target == "ceiling" or label != SHAPES[0][0] else worst <= 1000
                rows.append(
                    figures.Figure(
                        NAME,
                        f"{label}: /healthz with {what}, p50 · max",
                        f"{figures.ms(figures.percentile(samples, 50))} · {figures.ms(worst)}",
                        "" if target == "ceiling" else target,
                        met,
                    )
                )
    figures.report(NAME, rows, details)
    return rows


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", default="16,64", help="comma-separated counts")
    args = parser.parse_args()
    run(tuple(int(c) for c in args.connections.split(",")))


if __name__ == "__main__":
    main()
