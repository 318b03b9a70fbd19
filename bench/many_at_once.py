"""Many coordinators at once: N connected coordinators each change one event in Google at the
same moment, so the emulator sends N notifications on N channels; how long until the portal's
database holds every change, and what each change cost.

The stack (bench/harness.py): a PostgreSQL database and a redis-server of the run's own, the
emulator as an HTTP server, gunicorn as gunicorn.conf.py runs it receiving Google's
notifications, and `--workers` real `flask worker` processes; the coordinators are set up by
bench/many_coordinators.py (each through the emulator's consent page), imported and given
their watch channels by the workers' own jobs.

Per change it reports: Redis commands (INFO commandstats over the run, by command, less the
idle stack's own spending measured just before), database transactions (pg_stat_database's
xact_commit, less the bench's own probes), the workers' CPU (/proc), and Google calls (the
emulator's request log). Commands a Lua script runs count one each, as Redis counts them.
Beside them, measured in the same run: one empty RQ job (its round trip, Redis commands and
worker CPU) and one `SELECT 1`.

    .venv/bin/python -m bench.many_at_once [--count 1000] [--workers 2] [--events 3]
        [--profile 200]   (then: that many more changes pulled by an RQ worker in this process
                           under cProfile, CPU time; bench/results/many_at_once.prof.txt, and
                           the SQL statements per pull in many_at_once.sql.txt)
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections import Counter
from datetime import UTC, datetime

from bench import figures, processes, scale_rows
from bench.harness import Stack
from bench.many_coordinators import (
    Person,
    TitleCount,
    commits,
    connect_many,
    profile_pulls,
)

NAME = "many_at_once"
TARGET_SECONDS = 10.0
TARGET_REDIS = 25
TARGET_CPU_MS = 15.0
# pg_stat_database hears of an idle backend's transactions up to 10 s late (PostgreSQL's
# PGSTAT_IDLE_INTERVAL): the counters are read only after this long with nothing running.
STATS_SETTLE = 11.0
PROBE_EVERY = 0.05


def run(
    count: int = 1000, workers: int = 2, events: int = 3, profile: int = 0
) -> list[figures.Figure]:
    """Set up `count` coordinators, change one event in each at once, measure; the figures."""
    with Stack(workers=workers) as stack:
        started = time.monotonic()
        people = connect_many(stack, count, events)
        setup = time.monotonic() - started
        print(f"{count} coordinators connected and imported in {setup:.0f} s", flush=True)
        # pg_stat_database must have heard of the set-up's last transactions.
        time.sleep(STATS_SETTLE)
        idle = idle_spending(stack)
        ceilings = measure_ceilings(stack, idle)
        burst = measure_burst(stack, people, idle)
        prof = profile_pulls(stack, people, profile) if profile else None
    return _figures(count, workers, setup, ceilings, burst, prof)


def empty_jobs(stack: Stack, jobs: int) -> tuple[list[float], int]:
    """Enqueue `jobs` empty RQ jobs one at a time: each one's round trip in ms, and how many
    status polls (one HGET each) the bench sent meanwhile."""
    queue, trips, polls = stack.queue(), [], 0
    for _ in range(jobs):
        started = time.perf_counter()
        job = queue.enqueue("os.getpid")
        while job.get_status(refresh=True) != "finished":
            polls += 1
            time.sleep(0.002)
        trips.append((time.perf_counter() - started) * 1000)
    return trips, polls + jobs


# --------------------------------------------------------------------------- what it costs


class Meter:
    """Redis commands by command, committed transactions and the workers' CPU, from a start."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.start = self._reading()

    def _reading(self) -> dict:
        stats = self.stack.redis.info("commandstats")
        workers = processes.cpu_seconds([p.pid for p in self.stack.worker_processes])
        return {
            "redis": Counter({k.removeprefix("cmdstat_"): v["calls"] for k, v in stats.items()}),
            "commits": commits(self.stack.database_url),
            "cpu_s": workers,
            "cpu_by": Counter(self._cpu_elsewhere()) + Counter({"workers": workers}),
            "seconds": time.monotonic(),
        }

    def _cpu_elsewhere(self) -> dict[str, float]:
        """CPU seconds of the rest of the stack: where a burst's time went besides the workers."""
        redis = self.stack.redis.info("cpu")
        mine = os.times()
        web = [self.stack.gunicorn.pid] if self.stack.gunicorn else []
        return {
            "web": processes.cpu_seconds(web),
            "emulator and bench": mine.user + mine.system,
            "PostgreSQL (machine-wide)": processes.cpu_seconds(processes.pids_named("postgres")),
            "Redis": redis["used_cpu_user"] + redis["used_cpu_sys"],
        }

    def since(self) -> dict:
        """What was spent since this meter started, and over how many seconds."""
        now = self._reading()
        return {k: now[k] - self.start[k] for k in now}


def net(spent: dict, idle: dict, own_commits: int = 0) -> dict:
    """What `spent` holds beyond the idle stack's own spending over as long (its workers'
    polling and scheduler, INFO itself) and the bench's own probes."""
    scale = spent["seconds"] / idle["seconds"]
    redis = {k: v - idle["redis"].get(k, 0) * scale for k, v in spent["redis"].items()}
    redis.pop("info", None)
    return {
        "redis": redis,
        "commits": spent["commits"] - idle["commits"] * scale - own_commits,
        "cpu_s": spent["cpu_s"] - idle["cpu_s"] * scale,
        "cpu_by": {k: v - idle["cpu_by"].get(k, 0) * scale for k, v in spent["cpu_by"].items()},
    }


def idle_spending(stack: Stack, seconds: float = STATS_SETTLE) -> dict:
    """What the idle stack spends in `seconds` (the workers' polling, the scheduler)."""
    meter = Meter(stack)
    time.sleep(seconds)
    return meter.since()


def measure_ceilings(stack: Stack, idle: dict, jobs: int = 30) -> dict:
    """One empty RQ job (round trip, Redis commands, worker CPU), and one `SELECT 1`."""
    meter = Meter(stack)
    trips, polls = empty_jobs(stack, jobs)
    spent = net(meter.since(), idle)
    each = {"commits": spent["commits"] / jobs, "cpu_s": spent["cpu_s"] / jobs}
    each["redis"] = (sum(spent["redis"].values()) - polls) / jobs
    return {"select_1_ms": scale_rows.select_one_ms(), "empty_job_ms": trips, "each": each}


def measure_burst(stack: Stack, people: list[Person], idle: dict) -> dict:
    """Change one event in every calendar at once; wait until the portal has every change."""
    meter = Meter(stack)
    stack.google.clear_request_log()
    probe = TitleCount(stack.database_url, [p.event_id for p in people])
    started = time.perf_counter()
    for person in people:
        stack.google.user_patch_event(person.account, person.google_id, {"summary": person.title})
    changed = time.perf_counter()
    polls = 0
    while probe.applied() < len(people):
        polls += 1
        if time.perf_counter() - started > 600:
            raise TimeoutError(f"only {probe.applied()} of {len(people)} changes arrived")
        time.sleep(PROBE_EVERY)
    applied = time.perf_counter()
    load = figures.machine_load()
    stack.wait_idle()
    calls = Counter(stack.google.request_counts())
    probe.close()
    time.sleep(STATS_SETTLE)
    spent = net(meter.since(), idle, own_commits=polls + 2)
    return {
        "changes_s": changed - started,
        "applied_s": applied - started,
        "load": load,
        "per_change": per_change(spent, calls, len(people)),
    }


# --------------------------------------------------------------------------- the figures


def per_change(spent: dict, calls: Counter, count: int) -> dict:
    """The run's costs divided by the changes."""
    redis = {k: v / count for k, v in spent["redis"].items() if v / count >= 0.05}
    return {
        "redis": redis,
        "redis_total": sum(spent["redis"].values()) / count,
        "commits": spent["commits"] / count,
        "cpu_ms": spent["cpu_s"] * 1000 / count,
        "cpu_by_ms": {k: v * 1000 / count for k, v in spent["cpu_by"].items()},
        "google": {k: v / count for k, v in calls.items()},
    }


def _figures(
    count: int, workers: int, setup: float, ceilings: dict, burst: dict, prof: dict | None
) -> list[figures.Figure]:
    each, job = burst["per_change"], ceilings["each"]
    trips = ceilings["empty_job_ms"]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.node()} ({platform.machine()}, load {burst['load']})"
    what = f"{count:,} coordinators × 1 change at once, {workers} workers"
    rows = [
        figures.at_most(NAME, f"{what}: all applied", burst["applied_s"], TARGET_SECONDS, "s"),
        figures.Figure(
            NAME, "the changes made in Google (and notified) over", f"{burst['changes_s']:.2f} s"
        ),
        figures.at_most(NAME, "Redis commands per change", each["redis_total"], TARGET_REDIS, ""),
        figures.Figure(NAME, "Redis commands per change, by command", _by_command(each["redis"])),
        figures.Figure(NAME, "database transactions per change", f"{each['commits']:.1f}"),
        figures.at_most(NAME, "worker CPU per change", each["cpu_ms"], TARGET_CPU_MS),
        figures.Figure(NAME, "CPU per change, by process (ms)", _by_command(each["cpu_by_ms"])),
        figures.Figure(NAME, "Google calls per change", _by_command(each["google"])),
        figures.Figure(
            NAME,
            "ceiling: one empty RQ job (same run)",
            f"round trip p50 {figures.ms(figures.percentile(trips, 50))}, "
            f"{job['redis']:.1f} Redis commands, {job['commits']:.1f} transactions, "
            f"{job['cpu_s'] * 1000:.1f} ms worker CPU",
        ),
        figures.Figure(
            NAME, "ceiling: one `SELECT 1` (same run)", figures.ms(ceilings["select_1_ms"])
        ),
        figures.Figure(NAME, "set-up (connect and import every coordinator)", f"{setup:.0f} s"),
    ]
    if prof:
        rows.append(figures.Figure(NAME, f"profile of {prof['jobs']} pulls", prof["summary"]))
    print(f"\nmeasured {stamp} on {machine}")
    details = {"when": stamp, "machine": machine, "burst": burst, "ceilings": ceilings}
    figures.report(NAME, rows, details)
    return rows


def _by_command(counts: dict) -> str:
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{v:.2f} {k.removeprefix('calendar.')}" for k, v in ordered)


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--events", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, metavar="CHANGES")
    args = parser.parse_args()
    run(args.count, args.workers, args.events, args.profile)


if __name__ == "__main__":
    main()
