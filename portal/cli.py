"""The project's flask commands: the RQ worker and operator tools."""

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
    from rq import SimpleWorker

    from portal.core.collector import settle_collector
    from portal.core.queue import get_queue, redis_connection

    # SimpleWorker runs jobs in this process, inside the app context the flask CLI pushed;
    # a forking worker would share the parent's database connections with its children.
    queue = get_queue()
    worker = SimpleWorker([queue], connection=redis_connection())
    current_app.logger.info("worker listening on %s", queue.name)
    settle_collector()
    worker.work(burst=burst, with_scheduler=with_scheduler)


@click.command("clock")
def clock() -> None:
    """Run RQ's cron scheduler (channels, outbox sweep, safety-net pulls) and the overdue watch."""
    import threading

    from rq.cron import CronScheduler

    from portal.core.queue import redis_connection
    from portal.google.worker import jobs
    from portal.google.worker.coalescer import watch_overdue

    queue = current_app.config["RQ_QUEUE"]
    scheduler = CronScheduler(connection=redis_connection())
    # Each run only enqueues work that is due; the workers do it.
    scheduler.register(jobs.sweep_job, queue, interval=60, job_timeout=300)
    scheduler.register(jobs.safety_net_job, queue, interval=60, job_timeout=300)
    scheduler.register(jobs.channels_job, queue, interval=600, job_timeout=600)
    # Delayed jobs no worker's scheduler moved (queueing.release_overdue), every second.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    threading.Thread(
        target=watch_overdue, args=(app, threading.Event()), name="overdue", daemon=True
    ).start()
    scheduler.start()
