"""The retained ``queue/{service}`` state: counts, the next numbers to be called and the
estimated wait, as the boards and kiosks show them.

A read model, not part of the queue's lifecycle: it only reads the heads of the queue,
in the calling order `server.queue.policy` gives.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from protocol.messages import QueueState
from server.queue import policy
from server.queue.context import QueueContext
from server.queue.estimates import snapshot
from server.queue.queries import heads, normals_since_priority, open_desks

#: How many next numbers a board shows.
NEXT_NUMBERS = 5


def queue_state(ctx: QueueContext, s: Session, service: str) -> QueueState:
    """Counts and the next numbers to be called; reads only the heads of the queue."""
    svc = ctx.service(service)
    day = ctx.today()
    normal = heads(ctx, s, service, day, priority=False, limit=NEXT_NUMBERS)
    prio = heads(ctx, s, service, day, priority=True, limit=NEXT_NUMBERS)
    calling = ctx.config.calling
    order = policy.call_order(
        normal,
        prio,
        calling.policy,
        calling.every_n,
        normals_since_priority(ctx, s, [service], day),
        limit=NEXT_NUMBERS,
    )
    snap = snapshot(ctx, s, service, day)
    _ahead, eta_min = snap.estimate(False, calling)
    now = ctx.clock()
    oldest = min((h[0].row.issued_at for h in (normal, prio) if h), default=None)
    return QueueState(
        service=service,
        name=svc.name,
        waiting=snap.normal + snap.priority,
        waiting_priority=snap.priority,
        next_numbers=[h.row.number for h in order],
        eta_minutes=eta_min,
        open_desks=open_desks(ctx, s, service),
        longest_wait_s=(now - oldest).total_seconds() if oldest else None,
        updated_at=now,
    )
