"""Sync benchmarks: real gunicorn, RQ workers, PostgreSQL, Redis and the Google emulator.

Each module is one command (`python -m bench.propagation` …); `python -m bench` runs them all.
"""
