"""The calls a display board shows: a call as ``board/call`` publishes it
(`board_call`), today's latest call of each desk, and the calls a reconnecting board
missed, read back from the ticket events (a recall is a new call).

A read model, apart from the live hub because it is a query and a shape, not streaming:
the publisher sends one call, the hub sends these in a board's snapshot and the same JSON
for each call published live.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.codes import EventKind
from protocol.messages import BoardCall
from server.config import SiteConfig
from server.db.tables import TicketEventRow, TicketRow
from server.timeutil import day_bounds_utc, now_utc

#: Calls a reconnecting board may ask for, at most.
MAX_MISSED = 50


def call_json(config: SiteConfig, call: BoardCall) -> dict[str, Any]:
    """A call as the board's script takes it: with the desk's number and a key."""
    out = call.model_dump(mode="json", by_alias=True)
    desk = config.desk_by_id.get(call.desk_id)
    out["desk_number"] = desk.number if desk else None
    #: One call: a recall is a new call of the same ticket.
    out["key"] = f"{call.ticket_id}@{out['called_at']}"
    return out


def _calls(
    s: Session, config: SiteConfig, where: list[Any], newest_first: bool, limit: int
) -> list[BoardCall]:
    order = TicketEventRow.at.desc() if newest_first else TicketEventRow.at
    rows = s.execute(
        select(TicketEventRow, TicketRow)
        .join(TicketRow, TicketRow.id == TicketEventRow.ticket_id)
        .where(
            TicketEventRow.site == config.site.code,
            TicketEventRow.kind.in_((EventKind.CALLED, EventKind.RECALLED)),
            TicketEventRow.desk_id.is_not(None),
            *where,
        )
        .order_by(order, TicketEventRow.id)
        .limit(limit)
    ).all()
    out = []
    for ev, t in rows:
        desk = config.desk_by_id.get(ev.desk_id) if ev.desk_id else None
        if desk is None:
            continue
        recalls = int((ev.data or {}).get("recall", 0)) if ev.kind == EventKind.RECALLED else 0
        out.append(
            BoardCall(
                ticket_id=t.id,
                number=t.number,
                desk_id=desk.id,
                desk_name=desk.name,
                service=t.service,
                called_at=ev.at,
                recall_count=recalls,
            )
        )
    return out


def latest_calls(s: Session, config: SiteConfig, today: date) -> list[dict[str, Any]]:
    """Today's latest call of each desk, newest first."""
    start, _ = day_bounds_utc(today, config.tz)
    seen: dict[str, dict[str, Any]] = {}
    for call in _calls(s, config, [TicketEventRow.at >= start], True, 200):
        seen.setdefault(call.desk_id, call_json(config, call))
    return list(seen.values())


def calls_since(s: Session, config: SiteConfig, since: datetime) -> list[dict[str, Any]]:
    """The calls after ``since`` (at most the last 12 hours, `MAX_MISSED` of them)."""
    floor = max(since, now_utc() - timedelta(hours=12))
    calls = _calls(s, config, [TicketEventRow.at > floor], False, MAX_MISSED)
    return [call_json(config, c) for c in calls]


def board_call(s: Session, config: SiteConfig, ticket_id: uuid.UUID) -> BoardCall | None:
    """The ticket's current call, or None if it is not (or no longer) called to a desk."""
    t = s.get(TicketRow, ticket_id)
    if t is None or t.desk_id is None or t.called_at is None:
        return None
    return BoardCall(
        ticket_id=t.id,
        number=t.number,
        desk_id=t.desk_id,
        desk_name=config.desk_by_id[t.desk_id].name,
        service=t.service,
        called_at=t.called_at,
        recall_count=t.recall_count,
    )
