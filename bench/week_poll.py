"""The calendar's once-a-second poll, unchanged week, under wrk against one gunicorn process.

Three runs on the same web process, in one stack: the poll the page sends (its ticket lets
calendar/poll_gate.py answer in front of Flask), the same poll without its ticket (what every
poll cost before: Flask, the session, the user and the fingerprint query), and Flask serving
a static file (no database, no Redis) as the ceiling. Needs wrk, as bench.notify_throughput.

    .venv/bin/python -m bench.week_poll [--seconds 10] [--connections 32] [--processes 1]
        [--wrk-threads 1]   (one: on 2 cores, wrk on one and the web process on the other)
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
import time
from urllib.parse import urlsplit

from bench import figures
from bench.harness import Stack
from bench.notify_throughput import ensure_tool, parse_wrk
from bench.portal_user import PortalUser

NAME = "week_poll"
TARGET = 3000
POLLER = re.compile(r'id="week-poller"[^>]*hx-get="([^"]+)"')


def wrk(url: str, headers: dict[str, str], seconds: int, connections: int, threads: int) -> dict:
    """One wrk run with these request headers; requests/s, latency (ms), non-2xx."""
    argv = [ensure_tool("wrk"), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def open_calendar(base_url: str) -> tuple[str, dict[str, str]]:
    """Sign up over HTTP, draw the week as the page does; its poll URL and request headers."""
    browser = PortalUser(base_url, "poll@bench.example")
    browser.sign_up()
    region = browser.http.get(browser.url("/calendar"), headers={"HX-Request": "true"})
    region.raise_for_status()
    poll = html.unescape(POLLER.search(region.text).group(1))
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.http.cookies)
    return poll, {"Cookie": cookie, "HX-Request": "true"}


def answered_in_front(url: str, headers: dict[str, str]) -> bool:
    """An unchanged poll: 204, and no trace of Flask's session handling (Vary: Cookie)."""
    import requests

    answer = requests.get(url, headers=headers, timeout=10)
    return answer.status_code == 204 and "Vary" not in answer.headers


def gate_cost(app, url: str, headers: dict[str, str], rounds: int = 5000) -> float:
    """The gate's own work for one unchanged poll, in-process on the stack's Redis (µs)."""
    from portal.calendar.poll_gate import PollGate

    parts = urlsplit(url)
    environ = {"PATH_INFO": parts.path, "QUERY_STRING": parts.query}
    environ["HTTP_COOKIE"] = headers["Cookie"]
    gate = PollGate(app, lambda *_: [b""])
    if not gate.unchanged(environ):
        raise SystemExit("the in-process gate did not vouch for the poll")
    started = time.perf_counter()
    for _ in range(rounds):
        gate.unchanged(environ)
    return (time.perf_counter() - started) / rounds * 1e6


def run(
    seconds: int = 10, connections: int = 32, processes: int = 1, threads: int = 1
) -> list[figures.Figure]:
    """Gate, Flask and the ceiling on one gunicorn shape (gevent, as shipped)."""
    with Stack(workers=0, web_workers=processes, web_threads=1) as stack:
        poll, headers = open_calendar(stack.public_url)
        gate_url = stack.public_url + poll
        flask_url = re.sub(r"&poll=[^&]+", "", gate_url)
        if not answered_in_front(gate_url, headers):
            raise SystemExit("the poll was not answered in front of Flask")
        static_url = stack.public_url + "/static/css/portal.css"
        runs = {
            "gate": wrk(gate_url, headers, seconds, connections, threads),
            "flask": wrk(flask_url, headers, seconds, connections, threads),
            "ceiling": wrk(static_url, {}, seconds, connections, threads),
        }
        runs["gate in-process"] = {"us": gate_cost(stack.app, gate_url, headers)}
        load = figures.machine_load()
    shape = f"gunicorn gevent × {processes} process, wrk -t{threads} -c{connections}, load {load}"
    return _figures(runs, shape, urlsplit(gate_url).path)


def _figures(runs: dict, shape: str, path: str) -> list:
    gate, flask, ceiling = runs["gate"], runs["flask"], runs["ceiling"]
    cost = runs.pop("gate in-process")["us"]
    rows = [
        figures.Figure(NAME, "shape", shape),
        figures.Figure(
            NAME,
            f"unchanged poll ({path}, ticket, answered in front of Flask): req/s",
            f"{gate['rps']:,.0f} (ceiling {ceiling['rps']:,.0f})",
            f"≥ {TARGET:,}",
            gate["rps"] >= TARGET and gate["non_2xx"] == 0,
        ),
    ]
    rows.append(
        figures.Figure(
            NAME,
            "the gate's own work per unchanged poll, in-process (cookie, ticket, the mark)",
            f"{cost:.0f} µs ({1e6 / cost:,.0f}/s of one core)",
        )
    )
    for label, result in runs.items():
        rows.append(
            figures.Figure(
                NAME,
                f"{label}: req/s · p50 · p99 · non-2xx",
                f"{result['rps']:,.0f} · {result['p50']} · {result['p99']} ms · "
                f"{result['non_2xx']}",
            )
        )
    print(f"flask ÷ gate: {flask['rps'] / max(gate['rps'], 1):.2f}")
    figures.report(NAME, rows, {**runs, "gate in-process": {"us": cost}})
    return rows


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--wrk-threads", type=int, default=1)
    args = parser.parse_args()
    run(args.seconds, args.connections, args.processes, args.wrk_threads)


if __name__ == "__main__":
    main()
