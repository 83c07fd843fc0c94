"""Report speed: a quarter's page data and a year's workbook, against a plain scan.

The baseline, in the same run on the same database, is a plain scan that reads and
counts the rows a report covers (the visits and ratings of the period, every column a
report uses). A report is measured three ways:

* ``raw`` — every figure from the raw rows (no roll-ups);
* ``cold`` — with roll-ups, none built yet: the settled days are built on the way;
* ``warm`` — with roll-ups built (as a running server keeps them: `Warmer`).

Page data = the report of every breakdown with both comparisons, the official table and
the chart data, serialised as the API sends them. The year's workbook = page data of the
year + the .xlsx bytes.

Two sizes:

* ``office`` — one busy office, a year (≈ 75,000 visits) on SQLite;
* ``province`` — ``--offices`` offices of that size (≈ 1,000,000 visits with 13) in one
  PostgreSQL database; one office's quarter (the figures an office or a hub drills into).

Run:  .venv/bin/python -m bench.reports [--size office|province|both] [--offices 13]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.tables import ReportDayRow, TicketRow
from server.reports import load
from server.reports.charts import chart_data
from server.reports.figures import build_report
from server.reports.model import Filters
from server.reports.official import official_table
from server.reports.period import parse_period
from server.reports.rollup import Rollups
from server.reports.xlsx import report_xlsx
from server.simulation.bulk import bulk_history
from tests.support.services import create_pg_database, sqlite_url
from tests.support.sites import make_site

#: "Today" of the benchmark: the history is the 365 days before it.
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
FIRST, LAST = date(2025, 12, 2), date(2026, 12, 1)
VISITS_PER_DAY = 300  # a busy ward: ≈ 75,000 visits over a year's working days


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def scan(db: Database, site: str, period: str) -> int:
    """The baseline: read every visit and rating of the period, count them."""
    p = parse_period(period)
    with db.read() as s:
        tickets = load.visits(s, site, p.start, p.end)
        ratings = load.ratings(s, site, p.start, p.end, Filters())
    return len(tickets) + len(ratings)


def page_data(db: Database, config: SiteConfig, period: str, rollups: Rollups | None) -> int:
    """What the reports page gets: the report, the official table, the charts (JSON)."""
    with db.read() as s:
        report = build_report(s, config, parse_period(period), now=NOW, rollups=rollups)
    table = official_table(report, config)
    body = report.model_dump_json() + table.model_dump_json() + json.dumps(chart_data(report))
    return len(body)


def workbook(db: Database, config: SiteConfig, period: str, rollups: Rollups | None) -> int:
    with db.read() as s:
        report = build_report(s, config, parse_period(period), now=NOW, rollups=rollups)
    return len(report_xlsx(report, official_table(report, config), config))


def measure(db: Database, config: SiteConfig, label: str, runs: int) -> list[str]:
    site = config.site.code
    rollups = Rollups(db, config)
    lines = []
    for run in range(1, runs + 1):
        with db.write() as s:  # every run starts cold
            s.execute(ReportDayRow.__table__.delete())
        t_scan_q, rows_q = timed(lambda: scan(db, site, "2026-Q3"))
        t_scan_y, rows_y = timed(lambda: scan(db, site, "2026"))
        t_raw, _ = timed(lambda: page_data(db, config, "2026-Q3", None))
        t_cold, _ = timed(lambda: page_data(db, config, "2026-Q3", rollups))
        t_warm, _ = timed(lambda: page_data(db, config, "2026-Q3", rollups))
        t_build, built = timed(lambda: rollups.warm(FIRST, LAST, NOW))
        t_xlsx_raw, _ = timed(lambda: workbook(db, config, "2026", None))
        t_xlsx, size = timed(lambda: workbook(db, config, "2026", rollups))
        lines.append(
            f"| {label} | {run} | {rows_q:,} rows {t_scan_q:.2f} s | raw {t_raw:.2f} s · "
            f"cold {t_cold:.2f} s · **warm {t_warm:.2f} s** | {rows_y:,} rows {t_scan_y:.2f} s "
            f"| raw {t_xlsx_raw:.2f} s · **warm {t_xlsx:.2f} s** ({size // 1024} KiB) "
            f"| {built} days {t_build:.1f} s |"
        )
        print(lines[-1], flush=True)
    return lines


def fill(db: Database, config: SiteConfig, offices: int) -> int:
    upgrade(db)
    for i in range(offices):
        site = config.site.code if i == 0 else f"{config.site.code}{i:02d}"
        started = time.perf_counter()
        summary = bulk_history(
            db,
            config,
            first=FIRST,
            last=LAST,
            seed=i + 1,
            site=site,
            visits_per_day=VISITS_PER_DAY,
        )
        print(
            f"  {site}: {summary.visits:,} visits, {summary.ratings:,} ratings "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(TicketRow)) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("office", "province", "both"), default="both")
    parser.add_argument("--offices", type=int, default=13)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config = make_site()
    print(
        "| size | run | baseline: scan a quarter | quarter page data | baseline: scan a year "
        "| year .xlsx | roll-ups built |"
    )
    print("|---|---|---|---|---|---|---|")
    if args.size in ("office", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(sqlite_url(Path(tmp)))
            n = fill(db, config, 1)
            measure(db, config, f"office, SQLite, {n:,} tickets", args.runs)
            db.dispose()
    if args.size in ("province", "both"):
        pg = create_pg_database()
        db = Database(pg.url)
        try:
            n = fill(db, config, args.offices)
            measure(db, config, f"province, PostgreSQL, {n:,} tickets", args.runs)
        finally:
            db.dispose()
            pg.drop()


if __name__ == "__main__":
    main()
