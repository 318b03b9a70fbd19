"""gunicorn's settings for the web process; gunicorn reads this file from the working directory.

gevent workers: each connection is a greenlet, not a thread, so a client that sends its
headers and then its body slowly (or never) costs a parked greenlet, not one of a handful of
threads: /healthz and every page keep answering (bench/slow_clients.py). The platform's router
does not buffer request bodies, so the web process itself must not be starvable this way.
gevent also keeps connections alive (Google and browsers reuse them). psycopg 3 and redis-py
cooperate with gevent's patched sockets. WEB_CONCURRENCY (processes) and WEB_CONNECTIONS
(connections each) tune it per dyno size.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_connections = int(os.environ.get("WEB_CONNECTIONS", "1000"))
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
