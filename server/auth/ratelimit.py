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


class Throttle:
    """At most ``limit`` actions per key within ``window_s`` (a sliding window): what the
    citizens' public forms (a phone's rating, the suggestion box) allow per client
    address and per ticket. In memory, per server process, like `LoginLimiter`."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def take(self, *keys: str) -> int:
        """Count one action under every key, or none if any key is at its limit: then
        the seconds until it may be tried again (0: it was counted, go ahead)."""
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 50_000:  # forget idle keys (bounded memory)
                for k in [
                    k for k, q in self._hits.items() if not q or q[-1] <= now - self.window_s
                ]:
                    del self._hits[k]
            waits = []
            for key in keys:
                q = self._hits[key]
                while q and q[0] <= now - self.window_s:
                    q.popleft()
                if len(q) >= self.limit:
                    waits.append(q[0] + self.window_s - now)
            if waits:
                return max(1, round(max(waits)))
            for key in keys:
                self._hits[key].append(now)
            return 0
