"""Turning an office's committed rows into `HubFact` messages (`protocol.hub`).

Each stream is one append-only table read by its id: ``ticket_events``, ``desk_events``
and ``ratings``. A fact carries the current snapshot of the ticket or desk it touches,
so the hub needs nothing else to store it, in whatever order facts arrive.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from protocol.hub import (
    DeskEventFact,
    DeskSnap,
    HubFact,
    RatingFact,
    StreamName,
    TicketEventFact,
    TicketSnap,
)
from server.db.tables import DeskEventRow, DeskRow, RatingRow, TicketEventRow, TicketRow

_ROW_OF: dict[StreamName, Any] = {
    "ticket_events": TicketEventRow,
    "desk_events": DeskEventRow,
    "ratings": RatingRow,
}


def _site_filter(stream: StreamName, site: str) -> Any:
    return _ROW_OF[stream].site == site


def new_ids(s: Session, site: str, stream: StreamName, after: int, limit: int) -> list[int]:
    """The ids of ``stream`` above ``after``, oldest first."""
    row = _ROW_OF[stream]
    q = (
        select(row.id)
        .where(_site_filter(stream, site), row.id > after)
        .order_by(row.id)
        .limit(limit)
    )
    return list(s.scalars(q))


def count_above(s: Session, site: str, stream: StreamName, after: int) -> int:
    """How many facts of ``stream`` have an id above ``after``."""
    row = _ROW_OF[stream]
    q = select(func.count()).select_from(row).where(_site_filter(stream, site), row.id > after)
    return s.scalar(q) or 0


def read_facts(s: Session, site: str, stream: StreamName, ids: Sequence[int]) -> list[HubFact]:
    """The facts of ``stream`` with these ids (those that exist), by id."""
    if not ids:
        return []
    if stream == "desk_events":
        return _desk_facts(s, site, ids)
    row = _ROW_OF[stream]
    rows = list(s.scalars(select(row).where(_site_filter(stream, site), row.id.in_(ids))))
    snaps = _ticket_snaps(s, {r.ticket_id for r in rows})
    # a call, start, finish… changes the desk too (the number in hand): its snapshot goes along
    desks = _desk_snaps(s, site, {r.desk_id for r in rows if r.desk_id})
    facts = []
    for r in sorted(rows, key=lambda r: r.id):
        body = {"event": _event(r)} if stream == "ticket_events" else {"rating": _rating(r)}
        desk = desks.get(r.desk_id) if r.desk_id else None
        fact = HubFact(
            site=site, stream=stream, id=r.id, ticket=snaps[r.ticket_id], desk=desk, **body
        )
        facts.append(fact)
    return facts


def _desk_snaps(s: Session, site: str, ids: set[str]) -> dict[str, DeskSnap]:
    if not ids:
        return {}
    q = select(DeskRow).where(DeskRow.site == site, DeskRow.desk_id.in_(ids))
    return {d.desk_id: DeskSnap(**_columns(d, DeskSnap.model_fields)) for d in s.scalars(q)}


def _columns(row: Any, names: Iterable[str]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


def _ticket_snaps(s: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, TicketSnap]:
    if not ids:
        return {}
    versions = dict(
        s.execute(
            select(TicketEventRow.ticket_id, func.max(TicketEventRow.id))
            .where(TicketEventRow.ticket_id.in_(ids))
            .group_by(TicketEventRow.ticket_id)
        ).all()
    )
    rows = s.scalars(select(TicketRow).where(TicketRow.id.in_(ids)))
    names = [n for n in TicketSnap.model_fields if n != "version"]
    return {t.id: TicketSnap(**_columns(t, names), version=versions.get(t.id, 0)) for t in rows}


def _event(r: TicketEventRow) -> TicketEventFact:
    return TicketEventFact(
        id=r.id,
        ticket_id=r.ticket_id,
        kind=str(r.kind),
        at=r.at,
        desk_id=r.desk_id,
        clerk_id=r.clerk_id,
        data=r.data,
    )


def _rating(r: RatingRow) -> RatingFact:
    return RatingFact(**_columns(r, RatingFact.model_fields))


def _desk_facts(s: Session, site: str, ids: Sequence[int]) -> list[HubFact]:
    rows = list(
        s.scalars(select(DeskEventRow).where(DeskEventRow.site == site, DeskEventRow.id.in_(ids)))
    )
    desks = _desk_snaps(s, site, {r.desk_id for r in rows})
    return [
        HubFact(
            site=site,
            stream="desk_events",
            id=r.id,
            desk=desks.get(r.desk_id),
            desk_event=DeskEventFact(
                id=r.id,
                desk_id=r.desk_id,
                kind=str(r.kind),
                at=r.at,
                clerk_id=r.clerk_id,
                reason=r.reason,
            ),
        )
        for r in sorted(rows, key=lambda r: r.id)
    ]
