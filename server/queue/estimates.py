"""People ahead and the estimated wait of a new ticket, from one service's queue.

`QueueSnapshot` holds what an estimate needs (waiting counts, open desks, the median
service time); the arithmetic itself is `server.queue.policy.people_ahead` and
`server.queue.eta`. A snapshot can be kept in memory across one transaction issuing many
numbers (a gateway batch) instead of reading the queue again for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from server.config import CallingPolicy
from server.queue import eta, policy
from server.queue.context import QueueContext
from server.queue.queries import (
    normals_since_priority,
    open_desks,
    recent_service_seconds,
    waiting_counts,
)


@dataclass
class QueueSnapshot:
    """One service's waiting counts, open desks and median service time."""

    day: date
    normal: int
    priority: int
    desks: int
    median_minutes: float
    #: Normal calls since the last priority call (matters for the every_n policy).
    since: int = 0

    def estimate(self, is_priority: bool, calling: CallingPolicy) -> tuple[int, int]:
        ahead = policy.people_ahead(
            self.normal, self.priority, is_priority, calling.policy, calling.every_n, self.since
        )
        return ahead, eta.eta_minutes(ahead, self.desks, self.median_minutes)

    def add(self, is_priority: bool) -> None:
        if is_priority:
            self.priority += 1
        else:
            self.normal += 1


def median_service_minutes(ctx: QueueContext, s: Session, service: str) -> float:
    durations = recent_service_seconds(ctx, s, service)
    return eta.median_minutes(durations, ctx.service(service).default_service_minutes)


def snapshot(ctx: QueueContext, s: Session, service: str, day: date) -> QueueSnapshot:
    """What an estimate needs to know about one service's queue right now."""
    normal, prio = waiting_counts(ctx, s, [service], day)
    desks = open_desks(ctx, s, service) or len(ctx.config.desks_serving(service))
    since = normals_since_priority(ctx, s, [service], day)
    return QueueSnapshot(day, normal, prio, desks, median_service_minutes(ctx, s, service), since)


def estimate(
    ctx: QueueContext, s: Session, service: str, is_priority: bool, day: date
) -> tuple[int, int]:
    """(people ahead, ETA minutes) for a new ticket of ``service``."""
    return snapshot(ctx, s, service, day).estimate(is_priority, ctx.config.calling)
