"""The password rule: long enough and not a common or breached password; no composition rules.

The list is the 30,000 most common passwords from breach corpora that zxcvbn ships offline
(zxcvbn on PyPI, MIT licence; the list itself is Mark Burnett's/Xato's 10 million password
set). Nothing is looked up over the network.
"""

from __future__ import annotations

import string
from functools import cache

MIN_LENGTH = 10
MAX_LENGTH = 200
COMMON_MESSAGE = "That password is one of the most common ones. Please choose another."

_TRAILING = string.digits + string.punctuation + " "


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """Whether the password, or it without trailing digits and symbols, is a common one."""
    lowered = password.strip().lower()
    # "monkey12345!" is "monkey" with the usual tail: guessers try those first.
    candidates = {lowered, lowered.rstrip(_TRAILING)}
    return any(candidate in _common_passwords() for candidate in candidates)


def password_problem(password: str) -> str | None:
    """Why this password may not be used, or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if is_common(password):
        return COMMON_MESSAGE
    return None
