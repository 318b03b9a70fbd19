"""Run every benchmark in sequence and print one Markdown table for the README.

.venv/bin/python -m bench            # or: .venv/bin/python -m bench.run_all
.venv/bin/python -m bench --only propagation,week_view
"""

from __future__ import annotations

import argparse
import importlib
import time
import traceback

from bench import figures

# In the order they run; each has run() -> list[Figure] with defaults sized for a few minutes.
BENCHMARKS = (
    "propagation",
    "api_efficiency",
    "initial_import",
    "notify_throughput",
    "slow_clients",
    "week_view",
    "pull_scaling",
    "week_poll",
    "scale",
    "roster",
    "chaos",
)


def run_all(names: tuple[str, ...] = BENCHMARKS) -> list[figures.Figure]:
    """Run the named benchmarks; a benchmark that crashes is reported, the others still run."""
    rows: list[figures.Figure] = []
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.monotonic()
        try:
            rows += importlib.import_module(f"bench.{name}").run()
        except Exception:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            rows.append(figures.Figure(name, "run", "crashed (see the log above)", "", False))
        print(f"(bench.{name} took {time.monotonic() - started:.0f} s)", flush=True)
    print("\n## All figures\n")
    figures.report("all", rows)
    return rows


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated benchmark names")
    args = parser.parse_args()
    run_all(tuple(args.only.split(",")) if args.only else BENCHMARKS)


if __name__ == "__main__":
    main()
