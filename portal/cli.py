"""The project's flask commands: the RQ worker, the clock, and the operator tools."""

from __future__ import annotations

import click
from flask import Flask, current_app


def register(app: Flask) -> None:
    """Attach every command to the app's CLI."""
    from portal.google.commands import google_cli

    app.cli.add_command(worker)
    app.cli.add_command(clock)
    app.cli.add_command(google_cli)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
@click.option("--with-scheduler", is_flag=True, help="Also run RQ's scheduler for delayed retries.")
def worker(burst: bool, with_scheduler: bool) -> None:
    """Run an RQ worker inside this app's context (one process; scale by adding processes)."""
    from portal.core.queue import run_worker

    run_worker(burst=burst, with_scheduler=with_scheduler)


@click.command("clock")
def clock() -> None:
    """Run RQ's cron scheduler (channels, outbox sweep, safety-net pulls) and the overdue watch."""
    from portal.google.worker.clock import run_clock

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_clock(app, current_app.config["RQ_QUEUE"])
