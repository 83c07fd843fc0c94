"""Waiting for what a user would see, never for a fixed time: the one wait helper.

Every test that waits for something (a screen, a row, a message, a port) calls
`eventually`. Timeouts are generous because the suite must pass on a busy 2-core machine;
a passing test returns as soon as the thing is there, so they cost nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: How long `eventually` waits by default: long enough for a loaded CI machine.
DEFAULT_TIMEOUT_S = 30.0


def eventually(
    check: Callable[[], T | None],
    what: str = "",
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = 0.05,
) -> T:
    """Poll ``check`` until it returns something truthy, and return that.

    Fails after ``timeout`` seconds with ``what`` (what the user was waiting to see).
    An exception raised by ``check`` counts as "not yet" until the deadline, then it is
    the failure's cause: a check may read a row or a widget that does not exist yet.
    Any other exception (or ``pytest.fail``) ends the wait at once: a check raises one
    when waiting is no use, e.g. the process it waits for has exited.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = check()
            last_error = None
        except (AssertionError, LookupError, OSError, ValueError) as e:
            value, last_error = None, e
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what or check!r}") from last_error
        time.sleep(interval)
