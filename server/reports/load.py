"""Reading what a report needs, as plain rows of numbers.

A quarter of a busy office is tens of thousands of rows: instants come out of the
database as seconds since the epoch (`epoch`, computed by SQLite or PostgreSQL) and days
as ``YYYY-MM-DD`` text, so no datetime or date object is built per row.

Visits are the ticket rows of the period's local days (``tickets.day``); ratings are
those of visits of those days (``ratings.day`` is the visit's day). A rating carries its
visit's times, for the suspicious-pattern checks.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnClause,
    Float,
    Integer,
    Select,
    String,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from server.db.tables import DeskEventRow, LetterRow, RatingRow, TicketRow
from server.reports.model import Filters

_T = TicketRow.__table__.c
_R = RatingRow.__table__.c
_D = DeskEventRow.__table__.c
_L = LetterRow.__table__.c


class epoch(FunctionElement[float]):
    """Seconds since 1970-01-01 UTC of a `UtcDateTime` column, as a float."""

    type = Float()
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element: epoch, compiler: Any, **kw: Any) -> str:
    # SQLite stores UTC text; julianday keeps the microseconds (to ~20 µs).
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch)
def _epoch_default(element: epoch, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS FLOAT)"


def fetch(s: Session, q: Select[Any]) -> list[tuple[Any, ...]]:
    """All rows of ``q`` straight from the database driver: plain tuples, none of
    SQLAlchemy's per-value processing (the selects here already yield plain numbers and
    text). The values bound are dates and configuration codes, inlined by SQLAlchemy."""
    conn = s.connection()
    sql = str(q.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    driver = conn.connection.driver_connection
    assert driver is not None, "a live connection has a driver connection"
    cursor = driver.cursor()
    try:
        cursor.execute(sql)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows
    finally:
        cursor.close()


def narrow(
    q: Select[Any], f: Filters, service: Any, desk: Any, clerk: Any, source: Any = None
) -> Select[Any]:
    """``q`` limited by the report's filters, on the columns given (``None``: the filter
    does not apply to these rows)."""
    for value, column in (
        (f.service, service),
        (f.desk, desk),
        (f.clerk, clerk),
        (f.source, source),
    ):
        if value and column is not None:
            q = q.where(column == value)
    return q


def _day_text(column: Any) -> Any:
    """A ``date`` column as ``YYYY-MM-DD`` text (SQLite stores it so; PostgreSQL's ISO
    date style prints it so)."""
    return cast(column, String)


class Visit(NamedTuple):
    day: str
    service: str
    state: str
    #: Instants in epoch seconds.
    issued: float
    first_called: float | None
    called: float | None
    started: float | None
    ended: float | None
    desk_id: str | None
    clerk_id: str | None
    #: 1 for a new number; 0 for the ticket row a transfer created.
    new_number: int


class Rated(NamedTuple):
    day: str
    service: str
    desk_id: str
    clerk_id: str | None
    level: str
    level_raw: str
    praised: tuple[str, ...]
    reasons: tuple[str, ...]
    partial: bool
    source: str
    sent: float
    #: The visit's start and end of service.
    started: float | None
    ended: float | None


class DeskEvent(NamedTuple):
    desk_id: str
    kind: str
    at: float
    clerk_id: str | None


def visits(s: Session, site: str, start: date, end: date) -> list[Visit]:
    """Every ticket row of the days (reports narrow them by filters themselves: idle time
    needs the whole office's queue)."""
    q = select(
        _day_text(_T.day),
        _T.service,
        _T.state,
        epoch(_T.issued_at),
        epoch(_T.first_called_at),
        epoch(_T.called_at),
        epoch(_T.started_at),
        epoch(_T.ended_at),
        _T.desk_id,
        _T.clerk_id,
        cast(_T.transferred_from.is_(None), Integer),
    ).where(_T.site == site, _T.day >= start, _T.day <= end)
    return [Visit(*r) for r in fetch(s, q)]


def _codes(text: str | None, memo: dict[str | None, tuple[str, ...]]) -> tuple[str, ...]:
    """A JSON list of conduct codes; the same few lists repeat across ratings."""
    if text not in memo:
        memo[text] = tuple(json.loads(text)) if text else ()
    return memo[text]


def ratings(
    s: Session, site: str, start: date, end: date, f: Filters, *, conduct: bool = True
) -> list[Rated]:
    """The ratings of the days; without their conduct items unless ``conduct``."""
    none: ColumnClause[Any] = literal_column("NULL")
    q = (
        select(
            _day_text(_R.day),
            _R.service,
            _R.desk_id,
            _R.clerk_id,
            _R.level,
            _R.level_raw,
            cast(_R.praised, String) if conduct else none,
            cast(_R.reasons, String) if conduct else none,
            cast(_R.partial, Integer),
            _R.source,
            epoch(_R.sent_at),
            epoch(_T.started_at),
            epoch(_T.ended_at),
        )
        .join_from(RatingRow.__table__, TicketRow.__table__, _R.ticket_id == _T.id)
        .where(_R.site == site, _R.day >= start, _R.day <= end)
    )
    q = narrow(q, f, _R.service, _R.desk_id, _R.clerk_id, _R.source)
    memo: dict[str | None, tuple[str, ...]] = {}
    return [
        Rated(d, svc, desk, clerk, lvl, raw, _codes(p, memo), _codes(r, memo), bool(part), *rest)
        for d, svc, desk, clerk, lvl, raw, p, r, part, *rest in s.connection().execute(q).fetchall()
    ]


def desk_events(
    s: Session, site: str, since: datetime, until: datetime, desk: str | None
) -> list[DeskEvent]:
    """Desk sessions (open, close, pause, resume) between two instants, oldest first."""
    q = (
        select(_D.desk_id, _D.kind, epoch(_D.at), _D.clerk_id)
        .where(_D.site == site, _D.at >= since, _D.at < until)
        .order_by(_D.at, _D.id)
    )
    if desk:
        q = q.where(_D.desk_id == desk)
    return [DeskEvent(*r) for r in fetch(s, q)]


def desk_state_at(s: Session, site: str, at: datetime, desk: str) -> list[DeskEvent]:
    """A desk's state at ``at`` as events at that instant: ``open`` (with its clerk) and
    ``pause`` if it was open (and paused) then — a desk may stay open for days."""
    last_session = s.execute(
        select(_D.kind, _D.clerk_id)
        .where(_D.site == site, _D.desk_id == desk, _D.at < at, _D.kind.in_(("open", "close")))
        .order_by(_D.at.desc(), _D.id.desc())
        .limit(1)
    ).first()
    if last_session is None or last_session.kind != "open":
        return []
    stamp = at.timestamp()
    out = [DeskEvent(desk, "open", stamp, last_session.clerk_id)]
    last_pause = s.execute(
        select(_D.kind)
        .where(
            _D.site == site,
            _D.desk_id == desk,
            _D.at < at,
            _D.kind.in_(("open", "pause", "resume")),
        )
        .order_by(_D.at.desc(), _D.id.desc())
        .limit(1)
    ).first()
    if last_pause is not None and last_pause.kind == "pause":
        out.append(DeskEvent(desk, "pause", stamp, last_session.clerk_id))
    return out


def letters(s: Session, site: str, start: date, end: date, f: Filters) -> dict[str, int]:
    q = (
        select(_L.kind, func.count())
        .where(_L.site == site, _L.day >= start, _L.day <= end)
        .group_by(_L.kind)
    )
    q = narrow(q, f, _L.service, _L.desk_id, _L.clerk_id)
    return {kind: int(n) for kind, n in s.execute(q)}
