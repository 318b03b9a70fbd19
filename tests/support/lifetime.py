"""Processes a test starts must not outlive it, even when the test process itself is killed.

`setpriv --pdeathsig KILL` (util-linux) makes the kernel SIGKILL the child when the thread that
started it dies: a pytest killed by a CI timeout then leaves no redis-server holding a port
and no RQ worker retrying a dead Redis forever.
"""

from __future__ import annotations

import shutil

_SETPRIV = shutil.which("setpriv")


def dies_with_parent(argv: list[str]) -> list[str]:
    """argv, run so that it is killed when its parent dies (unchanged without setpriv)."""
    return [_SETPRIV, "--pdeathsig", "KILL", *argv] if _SETPRIV else argv
