"""Gap-free daily numbering per site and service, around the reserve zone.

One atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on the ``counters`` row, in
the same transaction as the ticket insert: concurrent kiosks (and several server
processes sharing one PostgreSQL or SQLite database) queue on that row lock, and a
rolled-back issue rolls its number back too, so numbers never repeat and never skip.

**The reserve zone.** Numbers ``[reserve_first, reserve_first + block_size × kiosks - 1]``
(``offline`` in the site YAML, `SiteConfig.reserve_zone`; A500–A559 with the defaults and
two kiosks) are kept for the kiosks' offline reserve blocks (`QueueEngine.reserve_blocks`).
When the counter lands inside the zone it is moved to the zone's end + 1, still holding
the row lock and in the same transaction, and that number is issued instead: online
numbers are gap-free *outside* the zone (… A499, A560, A561 …) and never collide with a
number a kiosk issued on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import cast

from sqlalchemy import Executable, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.db.tables import CounterRow

_COUNTERS = cast(Table, CounterRow.__table__)


def _upsert(insert: Callable[[Table], postgresql.Insert | sqlite.Insert]) -> Executable:
    table = _COUNTERS
    return (
        insert(table)
        .values(
            site=bindparam("site"), service=bindparam("service"), day=bindparam("day"), last_seq=1
        )
        .on_conflict_do_update(
            index_elements=["site", "service", "day"], set_={"last_seq": table.c.last_seq + 1}
        )
        .returning(table.c.last_seq)
    )


# Core statements built once: this runs for every number issued.
_UPSERT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}
_C = _COUNTERS.c
_SKIP = (
    update(_COUNTERS)
    .where(
        _C.site == bindparam("b_site"),
        _C.service == bindparam("b_service"),
        _C.day == bindparam("b_day"),
    )
    .values(last_seq=bindparam("b_last_seq"))
)


def next_seq(
    session: Session, site: str, service: str, day: date, skip: tuple[int, int] | None = None
) -> int:
    """The next online number of the day; ``skip = (first, last)``: the reserve zone,
    jumped over (the counter is moved past it in the same transaction)."""
    stmt = _UPSERT[session.get_bind().dialect.name]
    seq = int(session.execute(stmt, {"site": site, "service": service, "day": day}).scalar_one())
    if skip is not None and skip[0] <= seq <= skip[1]:
        seq = skip[1] + 1
        session.execute(
            _SKIP, {"b_site": site, "b_service": service, "b_day": day, "b_last_seq": seq}
        )
    return seq


def last_seq(session: Session, site: str, service: str, day: date) -> int:
    value = session.scalar(
        select(CounterRow.last_seq).where(
            CounterRow.site == site, CounterRow.service == service, CounterRow.day == day
        )
    )
    return int(value or 0)
