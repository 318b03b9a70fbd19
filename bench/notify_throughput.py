"""/google/notify under load: wrk against gunicorn, with a genuine channel and with unknown ones.

Needs wrk (Debian: `apt-get install -y wrk`; as root this script installs it itself).

    .venv/bin/python -m bench.notify_throughput [--seconds 10] [--connections 32]
        [--worker-class gthread]   (the shipped class, gunicorn.conf.py's, unless given;
                                    threads count only for gthread)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from pathlib import Path

from bench import figures
from bench.harness import Stack

NAME = "notify_throughput"
LUA = Path(__file__).resolve().parent / "wrk"
# gunicorn shapes tried on 2 cores: processes × threads.
SHAPES = ((2, 4), (2, 16), (4, 4))
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
LIGHT = 4
STEADY = 1500
# Connections of the steady run: each sends ~25 requests a second, at random moments.
PACED = 60


def ensure_tool(name: str) -> str:
    """A load generator from Debian (wrk), installed with apt-get when we are root."""
    found = shutil.which(name)
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit(f"{name} is not installed: run `sudo apt-get install -y {name}`.")
    subprocess.run(["apt-get", "install", "-y", "-qq", name], check=True)
    return shutil.which(name) or name


def run_wrk(
    url: str,
    script: str | None,
    env: dict[str, str],
    seconds: int,
    connections: int,
    path: str = "/google/notify",
) -> dict:
    """One wrk run; returns requests/s, latency percentiles (ms) and non-2xx/errors."""
    argv = [ensure_tool("wrk"), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    argv += ["-s", str(LUA / script)] if script else []
    argv.append(url + path)
    out = subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, check=True
    ).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    """Read wrk's --latency report."""
    result: dict = {"raw": out}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    result["rps"] = float(rate.group(1)) if rate else 0.0
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        result[f"p{pct}"] = float(match.group(1)) * UNITS[match.group(2)] if match else None
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    result["non_2xx"] = int(bad.group(1)) if bad else 0
    errors = re.search(r"Socket errors:(.*)", out)
    result["socket_errors"] = errors.group(1).strip() if errors else ""
    return result


def run_paced(url: str, env: dict[str, str], seconds: int, rate: int) -> dict:
    """A steady offered load: PACED connections sending at random moments, `rate` a second.

    wrk with every connection busy measures the queue it builds itself (32 connections at
    1,500 req/s wait 21 ms on average, by Little's law). Here each connection waits a random
    time before each request (genuine.lua's PACE_MS), which is what Google's deliveries from
    many calendars look like. hey's rate limit was tried first and dropped: its workers' timers
    start together, so its "steady" rate arrives as bursts of 30 requests at once.
    A 3-second calibration run measures what a connection spends besides its wait.
    """
    period = PACED / rate * 1000  # ms between one connection's requests
    probe = run_wrk(url, "genuine.lua", {**env, "PACE_MS": f"{period:.2f}"}, 3, PACED)
    overhead = max(PACED / max(probe["rps"], 1) * 1000 - period, 0.0)
    pace = max(period - overhead, 0.1)
    result = run_wrk(url, "genuine.lua", {**env, "PACE_MS": f"{pace:.2f}"}, seconds, PACED)
    return {**result, "pace_ms": round(pace, 2)}


def genuine_channel(stack: Stack, connection_id: int) -> dict[str, str]:
    """A channel row of our own (so we know its token), as wrk's environment."""
    from portal.extensions import db
    from portal.google.realtime.channels import prepare_channel

    channel, token = prepare_channel(stack.connection(connection_id))
    db.session.commit()
    return {"CHANNEL_ID": channel.channel_id, "CHANNEL_TOKEN": token}


def notification_outcomes() -> dict[str, int]:
    """How the portal classified what it received (the webhook's counters in Redis)."""
    from portal.core.queue import redis_connection
    from portal.google.realtime.heard import outcome_counts

    return dict(outcome_counts(redis_connection(), hours=2))


def run(
    seconds: int = 10, connections: int = 32, worker_class: str | None = None
) -> list[figures.Figure]:
    """Try each gunicorn shape with a genuine channel, then unknown channels on the best."""
    runs: dict[str, dict] = {}
    extra = ("-k", worker_class) if worker_class else ()
    with Stack(workers=1) as stack:
        account = "casey@notify.example"
        stack.google.add_user(account, "Casey")
        coordinator = stack.connect_coordinator("casey@bench.example", account)
        env = genuine_channel(stack, coordinator.connection_id)
        for workers, threads in SHAPES:
            stack.start_web(workers, threads, extra)
            result = run_wrk(stack.public_url, "genuine.lua", env, seconds, connections)
            runs[f"genuine {workers}x{threads}"] = result
            # What Google would see: a steady 1,500 notifications a second.
            steady = run_paced(stack.public_url, env, seconds, STEADY)
            runs[f"genuine {workers}x{threads}, steady {STEADY:,}/s"] = steady
            print(
                f"gunicorn --workers {workers} --threads {threads}: {result['rps']:.0f} req/s, "
                f"p99 {result['p99']} ms; at {STEADY}/s p99 {steady['p99']} ms"
            )
        best = max(SHAPES, key=lambda s: runs[f"genuine {s[0]}x{s[1]}"]["rps"])
        calmest = min(SHAPES, key=lambda s: _steady(runs, s)["p99"] or float("inf"))
        stack.start_web(*best, extra)
        runs["unknown"] = run_wrk(stack.public_url, "unknown.lua", {}, seconds, connections)
        # Latency when the web tier is not saturated (4 connections, still genuine).
        runs["genuine, 4 connections"] = run_wrk(
            stack.public_url, "genuine.lua", env, seconds, LIGHT
        )
        # The ceiling on this machine: Flask serving a static file, no database, no Redis.
        runs["ceiling (GET a static file)"] = run_wrk(
            stack.public_url, None, {}, seconds, connections, "/static/css/portal.css"
        )
        outcomes = notification_outcomes()
    return _figures(runs, best, calmest, connections, outcomes)


def _steady(runs: dict, shape: tuple[int, int]) -> dict:
    return runs[f"genuine {shape[0]}x{shape[1]}, steady {STEADY:,}/s"]


def _figures(
    runs: dict, best: tuple[int, int], calmest: tuple[int, int], connections: int, outcomes: dict
) -> list:
    genuine, unknown = runs[f"genuine {best[0]}x{best[1]}"], runs["unknown"]
    steady = _steady(runs, calmest)
    shape = f"gunicorn {best[0]} workers × {best[1]} threads, wrk -t2 -c{connections}"
    tried = ", ".join(f"{w}×{t}" for w, t in SHAPES)
    rows = [
        figures.Figure(NAME, f"web shape, most requests/s (of {tried})", shape),
        figures.Figure(
            NAME,
            f"web shape, lowest p99 at a steady {STEADY:,}/s",
            f"gunicorn {calmest[0]} workers × {calmest[1]} threads, wrk -c{PACED} paced",
        ),
        figures.Figure(
            NAME,
            "genuine channel: most requests/s (wrk)",
            f"{genuine['rps']:,.0f}",
            "≥ 1,500",
            genuine["rps"] >= STEADY,
        ),
        figures.Figure(
            NAME,
            f"genuine channel at a steady {STEADY:,}/s: served · p99",
            f"{steady['rps']:,.0f}/s · {steady['p99']} ms",
            "p99 ≤ 20 ms",
            steady["p99"] is not None and steady["p99"] <= 20 and steady["rps"] >= STEADY * 0.97,
        ),
        figures.Figure(
            NAME,
            "unknown channels: most requests/s (wrk)",
            f"{unknown['rps']:,.0f}",
            "≥ 1,500",
            unknown["rps"] >= STEADY,
        ),
    ]
    rows += _every_run(runs, outcomes)
    figures.report(NAME, rows, {k: {**v, "raw": v["raw"]} for k, v in runs.items()})
    return rows


def _every_run(runs: dict, outcomes: dict) -> list[figures.Figure]:
    """One row for each wrk run, and the notifications the portal recorded by outcome."""
    rows = [
        figures.Figure(
            NAME,
            f"{label}: req/s · p50 · p99 · non-2xx",
            f"{result['rps']:,.0f} · {result['p50']} · {result['p99']} ms · {result['non_2xx']}",
        )
        for label, result in runs.items()
    ]
    counted = ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items()))
    rows.append(figures.Figure(NAME, "notifications recorded, by outcome", counted))
    return rows


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--worker-class", help="gunicorn worker class instead of the shipped one")
    args = parser.parse_args()
    run(args.seconds, args.connections, args.worker_class)


if __name__ == "__main__":
    main()
