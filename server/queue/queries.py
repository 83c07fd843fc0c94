"""The SQL of the queue: Core statements of the hot paths (built once) and the queries
that find the heads of a queue.

Kept in one place so that what the engine reads, and which index serves it
(`server.db.tables`), can be read without the lifecycle around it. Every function takes
the caller's session and reads; nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from protocol.codes import TicketState
from server.db.tables import DeskRow, TicketEventRow, TicketRow
from server.queue.context import QueueContext

#: The Core tables of the hot paths (issuing a number inserts through them).
TICKETS = cast(Table, TicketRow.__table__)
EVENTS = cast(Table, TicketEventRow.__table__)

_T = TICKETS.c
_WAITING_COUNTS = (
    select(_T.priority.is_not(None), func.count())
    .where(
        _T.site == bindparam("site"),
        _T.state == TicketState.ISSUED,
        _T.service.in_(bindparam("services", expanding=True)),
        _T.day == bindparam("day"),
    )
    .group_by(_T.priority.is_not(None))
)
_D = cast(Table, DeskRow.__table__).c
_OPEN_DESKS = select(func.count()).where(
    _D.site == bindparam("site"),
    _D.desk_id.in_(bindparam("ids", expanding=True)),
    _D.open.is_(True),
    _D.paused.is_(False),
)
_RECENT_SERVICES = (
    select(_T.started_at, _T.ended_at)
    .where(
        _T.site == bindparam("site"),
        _T.service == bindparam("service"),
        _T.state == TicketState.DONE,
    )
    .order_by(_T.ended_at.desc())
    .limit(bindparam("n"))
)


def utc(value: datetime) -> datetime:
    """Core queries bypass the ORM's UTC column type on SQLite: make values aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Head:
    """A waiting ticket as `server.queue.policy` sees it."""

    row: TicketRow

    @property
    def is_priority(self) -> bool:
        return self.row.priority is not None


def waiting_counts(
    ctx: QueueContext, s: Session, services: list[str], day: date
) -> tuple[int, int]:
    """(normal, priority) tickets waiting today for ``services``."""
    rows = s.execute(_WAITING_COUNTS, {"site": ctx.site, "services": services, "day": day}).all()
    counts = {bool(k): int(v) for k, v in rows}
    return counts.get(False, 0), counts.get(True, 0)


def open_desks(ctx: QueueContext, s: Session, service: str) -> int:
    """Desks serving ``service`` that are open and not paused."""
    ids = [d.id for d in ctx.config.desks_serving(service)]
    return int(s.execute(_OPEN_DESKS, {"site": ctx.site, "ids": ids}).scalar() or 0)


def recent_service_seconds(ctx: QueueContext, s: Session, service: str) -> list[float]:
    """How long the latest services of ``service`` took (the ETA's rolling window)."""
    rows = s.execute(
        _RECENT_SERVICES,
        {"site": ctx.site, "service": service, "n": ctx.config.calling.median_window},
    ).all()
    return [(utc(end) - utc(start)).total_seconds() for start, end in rows if start and end]


def normals_since_priority(ctx: QueueContext, s: Session, services: list[str], day: date) -> int:
    """Normal calls since the last priority call today: what the ``every_n`` policy
    counts (0 under ``strict``, which does not need it)."""
    if ctx.config.calling.policy != "every_n":
        return 0
    base = (
        TicketRow.site == ctx.site,
        TicketRow.service.in_(services),
        TicketRow.day == day,
        TicketRow.first_called_at.is_not(None),
    )
    last_prio = s.scalar(
        select(func.max(TicketRow.first_called_at)).where(*base, TicketRow.priority.is_not(None))
    )
    q = select(func.count()).where(*base, TicketRow.priority.is_(None))
    if last_prio is not None:
        q = q.where(TicketRow.first_called_at > last_prio)
    return int(s.scalar(q) or 0)


def head(
    ctx: QueueContext, s: Session, services: list[str], day: date, priority: bool
) -> TicketRow | None:
    """The oldest waiting ticket of one class, locked (PostgreSQL: skipping tickets
    another desk is calling right now)."""
    q = (
        select(TicketRow)
        .where(
            TicketRow.site == ctx.site,
            TicketRow.state == TicketState.ISSUED,
            TicketRow.service.in_(services),
            TicketRow.day == day,
            TicketRow.priority.is_not(None) if priority else TicketRow.priority.is_(None),
        )
        .order_by(TicketRow.issued_at, TicketRow.number)
        .limit(1)
    )
    if s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return s.scalar(q)


def heads(
    ctx: QueueContext, s: Session, service: str, day: date, priority: bool, limit: int
) -> list[Head]:
    """The first ``limit`` waiting tickets of one class of a service, oldest first."""
    rows = s.scalars(
        select(TicketRow)
        .where(
            TicketRow.site == ctx.site,
            TicketRow.state == TicketState.ISSUED,
            TicketRow.service == service,
            TicketRow.day == day,
            TicketRow.priority.is_not(None) if priority else TicketRow.priority.is_(None),
        )
        .order_by(TicketRow.issued_at, TicketRow.number)
        .limit(limit)
    )
    return [Head(t) for t in rows]
