"""Benchmark figures: percentiles, one row per measured target, and the Markdown table."""

from __future__ import annotations

import json
import math
import os
import statistics
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Figure:
    """One measured figure next to its target; `met` is None when there is no target."""

    bench: str
    what: str
    value: str
    target: str = ""
    met: bool | None = None


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of the samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(samples_ms: list[float]) -> dict[str, float]:
    """p50, p95, p99, mean and max of latencies in milliseconds."""
    return {
        "p50": percentile(samples_ms, 50),
        "p95": percentile(samples_ms, 95),
        "p99": percentile(samples_ms, 99),
        "mean": statistics.fmean(samples_ms) if samples_ms else math.nan,
        "max": max(samples_ms) if samples_ms else math.nan,
    }


def ms(value: float) -> str:
    """A latency for a table."""
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def at_most(bench: str, what: str, value: float, limit: float, unit: str = "ms") -> Figure:
    """A figure whose target is an upper bound."""
    shown = ms(value) if unit == "ms" else f"{value:,.2f} {unit}".strip()
    target = f"≤ {ms(limit)}" if unit == "ms" else f"≤ {limit:g} {unit}".strip()
    return Figure(bench, what, shown, target, value <= limit)


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table (README's Performance section takes it as is)."""
    lines = ["| benchmark | measure | result | target | met |", "|---|---|---|---|---|"]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        lines.append(f"| {f.bench} | {f.what} | {f.value} | {f.target} | {met} |")
    return "\n".join(lines)


def machine_load() -> str:
    """The 1, 5 and 15 minute load averages: figures from a busy machine are not comparable."""
    try:
        one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return "unknown"
    return f"{one} / {five} / {fifteen} on {os.cpu_count()} cores"


def report(name: str, figures: list[Figure], details: dict | None = None) -> None:
    """Print the figures and keep them in bench/results/<name>.json (git-ignored)."""
    print()
    print(table(figures))
    print(f"\nload average (1 / 5 / 15 min) at the end: {machine_load()}")
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "bench": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load": machine_load(),
        "figures": [asdict(f) for f in figures],
        "details": details or {},
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str))
