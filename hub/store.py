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
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import JSON, Dialect, Table, or_, text, update
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

#: ``offices.fact_at`` is moved on at most this often (one row update per office).
FACT_AT_EVERY = timedelta(seconds=1)


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


def _json_columns(table: Table) -> set[str]:
    return {c.name for c in table.columns if isinstance(c.type, JSON)}


def _pg_type(column: Any, dialect: Dialect) -> str:
    """The PostgreSQL type name binary COPY needs for ``column`` (no length)."""
    name: str = column.type.compile(dialect=dialect).lower()
    return name.split("(")[0]


def _value(value: Any, as_json: bool) -> Any:
    """A JSON column's value wrapped for psycopg (SQL NULL stays NULL, not JSON null)."""
    return Json(value) if as_json and value is not None else value


def _copy_in(s: Session, table: Table, rows: list[dict[str, Any]]) -> tuple[str, str]:
    """COPY ``rows`` into a temporary twin of ``table`` (emptied at commit); its name
    and the column list. COPY is the fast way into PostgreSQL: no statement per row."""
    cols = list(rows[0])
    names = ", ".join(cols)
    temp = f"hub_in_{table.name}"
    raw = s.connection().connection.driver_connection
    assert raw is not None, "a live connection"
    as_json = _json_columns(table)
    with raw.cursor() as cur:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DELETE ROWS AS "
            f"SELECT {', '.join(c.name for c in table.columns)} FROM {table.name} WITH NO DATA"
        )
        with cur.copy(f"COPY {temp} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([_pg_type(table.c[c], s.get_bind().dialect) for c in cols])
            for row in rows:
                copy.write_row([_value(row[c], c in as_json) for c in cols])
    return temp, names


def _upsert(
    s: Session, table: Table, rows: list[dict[str, Any]], key: list[str], newer: str
) -> None:
    """Insert ``rows``; a row whose ``key`` is there replaces it when ``newer`` holds."""
    if not rows:
        return
    temp, names = _copy_in(s, table, rows)
    keys = ", ".join(key)
    update_cols = [c for c in rows[0] if c not in key]
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in update_cols)
    s.execute(
        text(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {temp} ORDER BY {keys} "
            f"ON CONFLICT ({keys}) DO UPDATE SET {sets} WHERE {newer}"
        )
    )


def _insert_new(s: Session, row_class: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert, ignoring rows already there (any unique key: origin id, msg_id, ticket)."""
    if not rows:
        return
    table = _table(row_class)
    temp, names = _copy_in(s, table, rows)
    s.execute(
        text(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {temp} ON CONFLICT DO NOTHING"
        )
    )


def store(s: Session, batch: Batch, now: datetime) -> None:
    """Write ``batch`` in the caller's transaction."""
    # never another office's ticket; never an older snapshot (rows in key order: two
    # workers lock them in the same order, never in a deadlock)
    _upsert(
        s,
        _table(TicketRow),
        list(batch.tickets.values()),
        ["id"],
        "tickets.site = EXCLUDED.site AND tickets.origin_version < EXCLUDED.origin_version",
    )
    _upsert(
        s,
        _table(DeskRow),
        list(batch.desks.values()),
        ["site", "desk_id"],
        "desks.updated_at <= EXCLUDED.updated_at",
    )
    _insert_new(s, TicketEventRow, batch.ticket_events)
    _insert_new(s, DeskEventRow, batch.desk_events)
    _insert_new(s, RatingRow, batch.ratings)
    if batch.stored:
        # "when the hub last heard from the office": to the second is enough
        s.execute(
            update(OfficeRow)
            .where(OfficeRow.code.in_(sorted(batch.stored)))
            .where(or_(OfficeRow.fact_at.is_(None), OfficeRow.fact_at < now - FACT_AT_EVERY))
            .values(fact_at=now)
        )
