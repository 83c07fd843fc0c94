"""The fast writer, for benchmarks only: planned days inserted directly as rows.

It writes what the engine writer's replay would leave in ``tickets``, ``ticket_events``,
``ratings``, ``desk_events``, ``counters`` and ``suggestions`` (the same values in every
column a report reads; a test compares both), with SQLAlchemy Core bulk inserts, many days per
transaction, and no rule checked: a million visits on PostgreSQL take minutes, not
hours. ``site`` writes the plan under another site code, so a benchmark can fill many
offices into one database. Desks' current state is not touched.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, insert

from protocol.conduct import RawLevel
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import (
    CounterRow,
    DeskEventRow,
    RatingRow,
    SuggestionRow,
    TicketEventRow,
    TicketRow,
)
from server.simulation.citizens import suggestion_values
from server.simulation.model import DayPlan
from server.simulation.plan import plan_history
from server.simulation.write import Summary, check_days_free

#: Ticket rows per transaction.
BATCH = 20_000
_TABLES = (TicketRow, TicketEventRow, RatingRow, DeskEventRow, CounterRow, SuggestionRow)


def bulk_history(
    db: Database,
    config: SiteConfig,
    *,
    first: date,
    last: date,
    seed: int,
    site: str | None = None,
    visits_per_day: float | None = None,
    on_day: Callable[[DayPlan], None] | None = None,
) -> Summary:
    """Plan ``first`` … ``last`` for ``site`` (default: the configured one) and insert it."""
    site = site or config.site.code
    check_days_free(db, site, first, last)
    plans = plan_history(config, first, last, seed=seed, site=site, visits_per_day=visits_per_day)
    return write_bulk(db, plans, Summary(first, last), on_day)


def write_bulk(
    db: Database,
    plans: Iterable[DayPlan],
    summary: Summary,
    on_day: Callable[[DayPlan], None] | None = None,
    *,
    batch: int = BATCH,
) -> Summary:
    started = time.perf_counter()
    rows: dict[type, list[dict[str, Any]]] = {t: [] for t in _TABLES}
    for plan in plans:
        add_rows(plan, rows)
        summary.add(plan)
        if on_day is not None:
            on_day(plan)
        if len(rows[TicketRow]) >= batch:
            _insert(db, rows)
    _insert(db, rows)
    summary.seconds = time.perf_counter() - started
    return summary


def _insert(db: Database, rows: dict[type, list[dict[str, Any]]]) -> None:
    if not rows[TicketRow]:
        return
    with db.write() as s:
        for table in _TABLES:  # tickets before the events and ratings that refer to them
            if rows[table]:
                s.execute(insert(cast(Table, table.__table__)), rows[table])
            rows[table].clear()


def add_rows(plan: DayPlan, rows: dict[type, list[dict[str, Any]]]) -> None:
    """The rows of one planned day, as the engine and the rating rules would write them."""
    site, day = plan.site, plan.day
    ids = [uuid.uuid4() for _ in plan.legs]
    for leg in plan.legs:
        tid = ids[leg.key]
        parent = ids[leg.transferred_from] if leg.transferred_from is not None else None
        rows[TicketRow].append(
            {
                "id": tid,
                "site": site,
                "service": leg.service,
                "day": day,
                "seq": leg.seq,
                "number": leg.number,
                "priority": leg.priority,
                "state": leg.state,
                "issued_at": leg.issued_at,
                "first_called_at": leg.first_called_at,
                "called_at": leg.called_at,
                "started_at": leg.started_at,
                "ended_at": leg.ended_at,
                "desk_id": leg.desk_id,
                "clerk_id": leg.clerk_id,
                "recall_count": leg.recall_count,
                "kiosk_id": leg.kiosk_id,
                "offline": False,
                "transferred_from": parent,
                "dossier_code": leg.dossier_code,
            }
        )
        for e in leg.events:
            data = e.data
            if parent is not None and e.kind == "issued":  # as `QueueEngine.transfer` says
                data = {"transferred_from": str(parent), **(data or {})}
            rows[TicketEventRow].append(
                {
                    "ticket_id": tid,
                    "site": site,
                    "kind": e.kind,
                    "at": e.at,
                    "desk_id": e.desk_id,
                    "clerk_id": e.clerk_id,
                    "data": data,
                }
            )
    for r in plan.ratings:
        leg = plan.legs[r.leg]
        rows[RatingRow].append(
            {  # as `server.ratings.rules._row_values` stores an accepted rating
                "msg_id": r.msg_id,
                "ticket_id": ids[r.leg],
                "site": site,
                "day": day,
                "desk_id": leg.desk_id,
                "clerk_id": leg.clerk_id,
                "service": leg.service,
                "level_raw": r.level_raw,
                "level": RawLevel(r.level_raw).official.value,
                "praised": list(r.praised),
                "reasons": list(r.reasons),
                "partial": r.partial,
                "source": r.source,
                "comment": r.comment,
                "device_id": r.device_id,
                "sent_at": r.sent_at,
                "received_at": r.received_at,
            }
        )
    rows[SuggestionRow].extend(suggestion_values(plan, sg) for sg in plan.suggestions)
    rows[DeskEventRow].extend(
        {
            "site": site,
            "desk_id": e.desk_id,
            "kind": e.kind,
            "at": e.at,
            "clerk_id": e.clerk_id,
            "reason": e.reason,
        }
        for e in plan.desk_events
    )
    rows[CounterRow].extend(
        {"site": site, "service": service, "day": day, "last_seq": last}
        for service, last in sorted(plan.counters.items())
    )
