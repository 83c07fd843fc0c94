"""Failed log-ins are rate-limited per account and per client address.

In memory, per server process: enough for one office server (several processes behind
a balancer would each count on their own).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginLimiter:
    """After ``per_user`` failures for one username from one address, or ``per_address``
    failures from one address, within ``window_s``, refuse log-ins (even a right
    password) until the oldest of those failures is ``window_s`` old."""

    def __init__(self, per_user: int = 5, per_address: int = 20, window_s: float = 300) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.window_s = window_s
        self._fails: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails[key]
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until a log-in may be tried again (0: go ahead)."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key, limit in (
                ((username, address), self.per_user),
                (("", address), self.per_address),
            ):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append(q[-limit] + self.window_s - now)
            return max(1, round(max(waits))) if waits else 0

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent((username, address), now).append(now)
            self._recent(("", address), now).append(now)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._fails.pop((username, address), None)
