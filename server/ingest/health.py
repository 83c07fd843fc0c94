"""Is ingest keeping up? ``ok``, ``stalled`` (a device message has waited too long
without being committed) or ``failing`` (database down, worker dead, or a message refused
as ``internal_error`` lately): for ``/api/health`` and the dashboard.

Separate from the worker because it is plain bookkeeping with a clock: its rules are
tested without a broker, a database or a thread (tests/server/test_ingest_health.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.timeutil import now_utc

#: Ingest is "stalled" while a message has waited this long without being committed.
STALL_AFTER_S = 15.0
#: Ingest is "failing" for this long after an unexpected error (``internal_error``).
FAILING_FOR_S = 300.0


@dataclass
class IngestHealth:
    """The ingest worker's counters and its last problems."""

    processed: int = 0
    rejected: int = 0
    db_ok: bool = True
    last_error: str | None = None
    last_batch_at: datetime | None = None
    #: Messages refused as ``internal_error`` (and worker errors), and the last one's time.
    internal_errors: int = 0
    last_internal_error_at: datetime | None = None
    stall_after_s: float = STALL_AFTER_S
    failing_for_s: float = FAILING_FOR_S

    def internal_error(self, what: str, count: int = 1) -> None:
        self.internal_errors += count
        self.last_internal_error_at = now_utc()
        self.last_error = what

    def state(self, oldest_waiting: datetime | None, worker_alive: bool = True) -> tuple[str, str]:
        """``("ok" | "stalled" | "failing", reason)`` of ingest. ``oldest_waiting``: when
        the oldest message not yet committed arrived (None if there is none)."""
        now = now_utc()
        if not worker_alive:
            return "failing", "the ingest worker has stopped"
        if not self.db_ok:
            return "failing", f"database unavailable, batch kept for retry ({self.last_error})"
        last = self.last_internal_error_at
        if last is not None and (now - last).total_seconds() < self.failing_for_s:
            return "failing", (
                f"{self.internal_errors} unexpected error(s), the last at "
                f"{last:%H:%M:%S} UTC: {self.last_error}"
            )
        if oldest_waiting is not None:
            waited = (now - oldest_waiting).total_seconds()
            if waited > self.stall_after_s:
                return "stalled", f"a message has waited {waited:.0f} s without being committed"
        return "ok", "messages are committed as they arrive"
