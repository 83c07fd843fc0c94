"""`Changes`: what a queue transaction changed, to publish once it is committed.

Every queue action records into one; the caller (the MQTT ingest, the HTTP desk actions,
the simulation) hands it to the publisher after the commit. It sits apart from the
engine because publishers and services use it without touching the queue itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass
class Changes:
    """What a transaction changed, to publish once it is committed."""

    services: set[str] = field(default_factory=set)
    desks: set[str] = field(default_factory=set)
    stats: set[str] = field(default_factory=set)
    calls: list[uuid.UUID] = field(default_factory=list)
    #: Kiosks whose retained ``kiosk/{id}/reserve`` must be (allocated and) published.
    reserves: set[str] = field(default_factory=set)
    #: Devices whose status or health changed (for the live dashboard only).
    devices: set[str] = field(default_factory=set)
    #: Tickets just rated (for the dashboard's live stream of ratings only).
    ratings: list[uuid.UUID] = field(default_factory=list)

    def merge(self, other: Changes) -> None:
        self.services |= other.services
        self.desks |= other.desks
        self.stats |= other.stats
        self.calls.extend(other.calls)
        self.reserves |= other.reserves
        self.devices |= other.devices
        self.ratings.extend(other.ratings)

    def __bool__(self) -> bool:
        return bool(
            self.services
            or self.desks
            or self.stats
            or self.calls
            or self.reserves
            or self.devices
            or self.ratings
        )
