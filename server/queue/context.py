"""`QueueContext`: the site configuration and the clock every queue module works against.

What `QueueEngine.__init__` used to hold, as one value the split-out modules (tickets,
desks, reserve, estimates, read models) take as their first argument, together with the
lookups that refuse unknown codes before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from protocol.refusals import Reason
from server.config import Desk, Service, SiteConfig
from server.queue.errors import QueueError
from server.timeutil import local_day, now_utc


class QueueContext:
    """One site's queue configuration and clock; ``zone``: the offline reserve zone
    online numbering skips."""

    def __init__(self, config: SiteConfig, clock: Callable[[], datetime] = now_utc) -> None:
        self.config = config
        self.site = config.site.code
        self.clock = clock
        first, last = config.reserve_zone
        #: Online numbering skips the reserve zone (None: no kiosks, no zone).
        self.zone: tuple[int, int] | None = (first, last) if last >= first else None

    def today(self, at: datetime | None = None) -> date:
        return local_day(at or self.clock(), self.config.tz)

    def service(self, code: str) -> Service:
        svc = self.config.service_by_code.get(code)
        if svc is None:
            raise QueueError(Reason.UNKNOWN_SERVICE, service=code)
        return svc

    def desk_cfg(self, desk_id: str) -> Desk:
        desk = self.config.desk_by_id.get(desk_id)
        if desk is None:
            raise QueueError(Reason.UNKNOWN_DESK, desk=desk_id)
        return desk

    def check_request(self, service: str, priority: str | None) -> Service:
        """The service of a ticket request, or a `QueueError` (before anything is written)."""
        svc = self.service(service)
        if priority is not None and priority not in self.config.priority_codes:
            raise QueueError(Reason.UNKNOWN_PRIORITY, priority=priority)
        return svc
