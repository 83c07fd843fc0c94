"""Gap-free daily numbering per site and service.

One atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on the ``counters`` row, in
the same transaction as the ticket insert: concurrent kiosks (and several server
processes sharing one PostgreSQL or SQLite database) queue on that row lock, and a
rolled-back issue rolls its number back too, so numbers never repeat and never skip.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.db.tables import CounterRow


def _upsert(dialect: Any) -> Any:
    table = CounterRow.__table__
    return (
        dialect.insert(table)
        .values(
            site=bindparam("site"), service=bindparam("service"), day=bindparam("day"), last_seq=1
        )
        .on_conflict_do_update(
            index_elements=["site", "service", "day"], set_={"last_seq": table.c.last_seq + 1}
        )
        .returning(table.c.last_seq)
    )


# Core statements built once: this runs for every number issued.
_UPSERT = {"postgresql": _upsert(postgresql), "sqlite": _upsert(sqlite)}


def next_seq(session: Session, site: str, service: str, day: date) -> int:
    stmt = _UPSERT[session.get_bind().dialect.name]
    return int(session.execute(stmt, {"site": site, "service": service, "day": day}).scalar_one())


def last_seq(session: Session, site: str, service: str, day: date) -> int:
    value = session.scalar(
        select(CounterRow.last_seq).where(
            CounterRow.site == site, CounterRow.service == service, CounterRow.day == day
        )
    )
    return int(value or 0)


def format_number(prefix: str, seq: int) -> str:
    """``A`` + 23 → ``A023``; past 999 the counter simply grows to four digits."""
    return f"{prefix}{seq:03d}"
