"""gunicorn's settings for the web process; gunicorn reads this file from the working directory.

Threads (gthread) rather than sync workers: Google and browsers reuse keep-alive connections,
which sync workers close after every request. WEB_CONCURRENCY (processes) and
WEB_THREADS tune it per dyno size.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# gthread even with one thread: it keeps connections alive where the sync worker closes them.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = 5
backlog = 2048
# Heroku's router already logs every request; set GUNICORN_ACCESS_LOG=- to log them here too.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# Whoever reads the access log must not find OAuth codes in it (portal/core/access_log.py).
logger_class = "portal.core.access_log.RedactingLogger"


def post_worker_init(worker: object) -> None:
    """Set up the garbage collector once the app is loaded (portal/core/collector.py)."""
    # Imported here: the master process never loads the app.
    from portal.core.collector import settle_collector

    settle_collector()
