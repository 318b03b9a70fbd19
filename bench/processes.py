"""Starting and stopping the portal's processes (gunicorn, RQ workers) as the Procfile does."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOGS = ROOT / "bench" / "results" / "logs"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Poll condition() until it is truthy; raise with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def _log_file(name: str):
    LOGS.mkdir(parents=True, exist_ok=True)
    return open(LOGS / f"{name}.log", "ab")


def spawn(name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start a process in its own group (killable with its children), logging to a file."""
    log = _log_file(name)
    try:
        return subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    finally:
        log.close()


def run_command(argv: list[str], env: dict[str, str]) -> None:
    """Run a one-off command (migrations) and fail loudly if it fails."""
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")


def start_gunicorn(
    env: dict[str, str], port: int, workers: int, threads: int, extra: tuple[str, ...] = ()
) -> subprocess.Popen:
    """`gunicorn wsgi:app` as the Procfile's web process, without the access log (noise here)."""
    argv = [str(BIN / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(workers), "--threads", str(threads), "--backlog", "2048", *extra]
    process = spawn(f"gunicorn-{port}", argv, env)
    url = f"http://127.0.0.1:{port}/healthz"
    wait_until(lambda: _answers(url, process), 30, f"gunicorn on port {port}")
    # The first worker to answer is not the last to load the app: measured too early, the
    # others' start-up (a second or two of CPU each, on 2 cores) was timed as latency.
    wait_until(lambda: _workers_idle(process.pid, workers), 60, f"gunicorn's {workers} workers")
    return process


def _workers_idle(master: int, workers: int, window: float = 0.3) -> bool:
    """Whether the master has all its workers and none of them used the CPU for a moment."""
    children = _children(master)
    if len(children) < workers:
        return False
    before = {pid: _cpu_ticks(pid) for pid in children}
    time.sleep(window)
    busy = (_cpu_ticks(pid) - ticks for pid, ticks in before.items())
    # Under 5 % of a core each: done loading, waiting for requests.
    return all(used <= window * os.sysconf("SC_CLK_TCK") * 0.05 for used in busy)


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user and system) these processes and their children have used."""
    every = set(pids)
    for pid in pids:
        every.update(_children(pid))
    return sum(_cpu_ticks(pid) for pid in every) / os.sysconf("SC_CLK_TCK")


def pids_named(name: str) -> list[int]:
    """Every process whose command name is `name` (e.g. the machine's PostgreSQL backends)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if stat.read_text().strip() == name:
                found.append(int(stat.parent.name))
    return found


def _cpu_ticks(pid: int) -> int:
    """User and system CPU time a process has used, in clock ticks (Linux's /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _answers(url: str, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"gunicorn exited with {process.returncode}; see {LOGS}")
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def start_worker(env: dict[str, str], number: int = 0) -> subprocess.Popen:
    """`flask --app wsgi worker --with-scheduler`, exactly the Procfile's worker."""
    argv = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--with-scheduler"]
    return spawn(f"worker-{number}", argv, env)


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    kill(process)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the process group: no clean-up, as when a dyno is lost."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size (VmHWM) in MiB, read from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
