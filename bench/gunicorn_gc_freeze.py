"""A gunicorn config for one experiment (bench.week_view): move everything the app loaded at
start-up out of the cyclic garbage collector's reach, so its full collections stay short.

    gunicorn -c bench/gunicorn_gc_freeze.py wsgi:app
"""

import gc


def post_worker_init(worker: object) -> None:
    """After the worker imported the app: freeze what exists now (it lives as long as we do)."""
    gc.freeze()
