"""Storing a batch of offices' facts into the hub's PostgreSQL, idempotently.

Each kind of row is keyed by the office's own ids, so a fact stored twice (a replay
after a lost receipt, a resend, a worker killed between commit and acknowledgement)
changes nothing:

* ticket events and desk events by ``(site, origin_id)``: inserted or ignored;
* ratings by their ``msg_id`` (and one per ticket): inserted or ignored;
* tickets by id, desks by ``(site, desk_id)``: the snapshot with the newest version (the
  office id of the ticket's latest event; the desk's ``updated_at``) wins, whatever
  order facts arrive in, so two workers storing an office's facts at once agree.

One statement per table, executed for all the batch's rows at once (psycopg pipelines
them: no round trip per row), and one transaction per batch. A multi-row ``VALUES`` was
tried first: SQLAlchemy compiled it anew for every batch, which cost 9 times the
insert itself (`bench/hub.py`, docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from protocol.hub import STREAMS, HubFact, HubReceipt, StreamName
from server.db.tables import (
    Base,
    DeskEventRow,
    DeskRow,
    OfficeRow,
    RatingRow,
    TicketEventRow,
    TicketRow,
)


@dataclass
class Batch:
    """The rows of a batch of facts, deduplicated, ready to store."""

    tickets: dict[Any, dict[str, Any]] = field(default_factory=dict)
    desks: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    ticket_events: list[dict[str, Any]] = field(default_factory=list)
    desk_events: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    #: site → stream → ids, for the receipts.
    stored: dict[str, dict[StreamName, list[int]]] = field(default_factory=dict)

    def add(self, fact: HubFact) -> None:
        site = fact.site
        if fact.ticket is not None:
            row = fact.ticket.model_dump()
            row["origin_version"] = row.pop("version")
            row["site"] = site
            known = self.tickets.get(row["id"])
            if known is None or known["origin_version"] < row["origin_version"]:
                self.tickets[row["id"]] = row
        if fact.desk is not None:
            desk = fact.desk.model_dump()
            desk["site"] = site
            key = (site, desk["desk_id"])
            seen = self.desks.get(key)
            if seen is None or seen["updated_at"] <= desk["updated_at"]:
                self.desks[key] = desk
        if fact.event is not None:
            event = fact.event.model_dump()
            event["origin_id"] = event.pop("id")
            self.ticket_events.append({**event, "site": site})
        if fact.desk_event is not None:
            desk_event = fact.desk_event.model_dump()
            desk_event["origin_id"] = desk_event.pop("id")
            self.desk_events.append({**desk_event, "site": site})
        if fact.rating is not None:
            rating = fact.rating.model_dump()
            del rating["id"]
            self.ratings.append({**rating, "site": site})
        streams = self.stored.setdefault(site, {})
        streams.setdefault(fact.stream, []).append(fact.id)

    def receipts(self) -> list[HubReceipt]:
        return [
            HubReceipt(site=site, **{s: ids for s, ids in streams.items() if s in STREAMS})
            for site, streams in self.stored.items()
        ]

    def __len__(self) -> int:
        return sum(len(ids) for streams in self.stored.values() for ids in streams.values())


def _table(row_class: type[Base]) -> Table:
    table = row_class.__table__
    assert isinstance(table, Table)
    return table


def _upsert_tickets(s: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = _table(TicketRow)
    stmt = insert(table)
    newer = {c: stmt.excluded[c] for c in rows[0] if c != "id"}
    s.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"],
            set_=newer,
            # never another office's ticket; never an older snapshot
            where=and_(
                table.c.site == stmt.excluded.site,
                table.c.origin_version < stmt.excluded.origin_version,
            ),
        ),
        rows,
    )


def _upsert_desks(s: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = _table(DeskRow)
    stmt = insert(table)
    newer = {c: stmt.excluded[c] for c in rows[0] if c not in ("site", "desk_id")}
    s.execute(
        stmt.on_conflict_do_update(
            index_elements=["site", "desk_id"],
            set_=newer,
            where=table.c.updated_at <= stmt.excluded.updated_at,
        ),
        rows,
    )


def _insert_new(s: Session, row_class: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert, ignoring rows already there (any unique key: origin id, msg_id, ticket)."""
    if rows:
        s.execute(insert(_table(row_class)).on_conflict_do_nothing(), rows)


def store(s: Session, batch: Batch, now: datetime) -> None:
    """Write ``batch`` in the caller's transaction."""
    _upsert_tickets(s, sorted(batch.tickets.values(), key=lambda r: str(r["id"])))
    _upsert_desks(s, sorted(batch.desks.values(), key=lambda r: (r["site"], r["desk_id"])))
    _insert_new(s, TicketEventRow, batch.ticket_events)
    _insert_new(s, DeskEventRow, batch.desk_events)
    _insert_new(s, RatingRow, batch.ratings)
    if batch.stored:
        s.execute(
            update(OfficeRow).where(OfficeRow.code.in_(list(batch.stored))).values(fact_at=now)
        )
