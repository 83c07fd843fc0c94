"""Simulated history: how fast the two writers fill a database.

* ``bulk`` — the benchmark writer (`server.simulation.bulk`): many offices (the example
  site under the codes ``xa-01`` …) filled into one fresh database, until about
  ``--visits`` visits; rows per second over every table it writes, and the share of the
  time spent planning.
* ``engine`` — the engine writer (`server.simulation.write`, what ``motcua simulate
  history`` and the demo use): ``--days`` days of the example site.

Run:  .venv/bin/python -m bench.history [--writer bulk|engine] [--db postgres|sqlite]
                                         [--visits 1000000] [--offices 20] [--days 30]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from server.db.database import Database
from server.db.migrate import upgrade
from server.simulation.bulk import bulk_history
from server.simulation.plan import default_visits_per_day, plan_history
from server.simulation.write import simulate_history
from tests.support.services import create_pg_database, sqlite_url
from tests.support.sites import make_site

END = date(2026, 11, 30)


def _rows(db: Database) -> int:
    from sqlalchemy import func, select

    from server.db.tables import CounterRow, DeskEventRow, RatingRow, TicketEventRow, TicketRow

    with db.read() as s:
        return sum(
            int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in (TicketRow, TicketEventRow, RatingRow, DeskEventRow, CounterRow)
        )


def bench_bulk(db: Database, visits: int, offices: int) -> None:
    site = make_site()
    # About 0.75 visits per calendar day per "ordinary weekday" visit (Sundays, Saturdays,
    # holidays, busier Mondays).
    per_office_day = default_visits_per_day(site) * 0.75
    days = math.ceil(visits / offices / per_office_day)
    first = END - timedelta(days=days - 1)
    print(f"{offices} offices × {days} days ({first} … {END}), ~{visits} visits")
    planned = time.perf_counter()
    sample = sum(p.visits for p in plan_history(site, first, first + timedelta(days=29), seed=1))
    plan_rate = sample / (time.perf_counter() - planned)
    total = tickets = 0
    started = time.perf_counter()
    for i in range(1, offices + 1):
        s = bulk_history(db, site, first=first, last=END, seed=1, site=f"xa-{i:02d}")
        total += s.visits
        tickets += s.tickets
        elapsed = time.perf_counter() - started
        print(
            f"  xa-{i:02d}: {s.visits} visits in {s.seconds:.1f} s (total {total}, {elapsed:.0f} s)"
        )
    elapsed = time.perf_counter() - started
    rows = _rows(db)
    print(
        f"bulk: {total} visits, {rows} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s, "
        f"{total / elapsed:,.0f} visits/s (planning alone: {plan_rate:,.0f} visits/s, "
        f"{100 * total / plan_rate / elapsed:.0f} % of the time)"
    )


def bench_engine(db: Database, days: int) -> None:
    site = make_site()
    first = END - timedelta(days=days - 1)
    cpu = time.process_time()
    s = simulate_history(db, site, first=first, last=END, seed=1)
    cpu = time.process_time() - cpu
    rows = _rows(db)
    print(
        f"engine: {s.visits} visits, {rows} rows in {s.seconds:.1f} s "
        f"(CPU {cpu:.1f} s) = {s.visits / s.seconds:,.0f} visits/s, {rows / s.seconds:,.0f} rows/s"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--writer", choices=["bulk", "engine"], default="bulk")
    p.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--visits", type=int, default=1_000_000)
    p.add_argument("--offices", type=int, default=20)
    p.add_argument("--days", type=int, default=30)
    args = p.parse_args()
    pg = create_pg_database() if args.db == "postgres" else None
    db = Database(pg.url if pg else sqlite_url(Path(tempfile.mkdtemp(prefix="motcua-bench-"))))
    try:
        upgrade(db)
        if args.writer == "bulk":
            bench_bulk(db, args.visits, args.offices)
        else:
            bench_engine(db, args.days)
    finally:
        db.dispose()
        if pg is not None:
            pg.drop()


if __name__ == "__main__":
    main()
