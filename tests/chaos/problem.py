"""One thing the checker found not converged."""

from __future__ import annotations


class Problem(str):
    """One thing not converged, as text; `about` holds the portal event ids it concerns and
    `kind` what sort of problem it is, so a known product bug can be told apart from a new one
    (known.py)."""

    about: frozenset[int]
    kind: str

    def __new__(cls, text: str, about=(), kind: str = "") -> Problem:
        problem = super().__new__(cls, text)
        problem.about = frozenset(i for i in about if i is not None)
        problem.kind = kind
        return problem
