"""Helpers every RQ job uses: a clean database session per job, and progress checkpoints."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from portal.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

# What a long business function calls after each unit of work: it flushes, a job commits.
Checkpoint = Callable[[], None]


def no_checkpoint() -> None:
    """The default checkpoint: business functions only flush; a job passes db.session.commit."""


def job(fn: Callable[P, R]) -> Callable[P, R]:
    """Mark a job function: it runs in the worker's app context and leaves no session behind."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()

    return run
