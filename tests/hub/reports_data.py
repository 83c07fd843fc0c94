"""History of three offices in two groups for the hub's report tests: each office's
history written by the project's generator (`server.simulation`, bulk writer) into the
hub database under its own site code, and the same history into a database of its own
(what the office's own server would hold), so a test can compare the hub's figures of
an office with the figures the office's report code computes alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from hub.config import HubConfig
from server.config import SiteConfig, parse_site_config
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.tables import OfficeRow
from server.simulation.bulk import bulk_history
from server.uplink.pulse import secretless
from tests.support.services import PgDatabase, create_pg_database
from tests.support.sites import site_data

FIRST, LAST = date(2026, 7, 1), date(2026, 8, 31)
PERIOD = "2026-08"
#: Every day of the history is settled by then (the hub reads the daily roll-ups).
NOW = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)
#: code, name, group, seed, visits a day (offices of different sizes: a mean of the
#: offices' percentages would differ from the province's).
OFFICES = (
    ("gialoc", "Xã Gia Lộc", "Cụm Gia Lộc", 11, 120.0),
    ("giaxuyen", "Xã Gia Xuyên", "Cụm Gia Lộc", 12, 45.0),
    ("tuky", "Xã Tứ Kỳ", "Cụm Tứ Kỳ", 13, 80.0),
)
#: An office the hub knows but whose configuration has not come yet.
SILENT = ("ninhgiang", "Xã Ninh Giang", "Cụm Tứ Kỳ")
HUB = HubConfig(name="Tỉnh Hải Dương", targets={2026: 95})


def office_config(code: str, name: str) -> SiteConfig:
    data = site_data()
    data["site"] = {**data["site"], "code": code, "name": name}
    return parse_site_config(data, code)


@dataclass
class Province:
    hub: Database
    #: code → (the office's configuration, its own database).
    offices: dict[str, tuple[SiteConfig, Database]]


def _db(pg: PgDatabase) -> Database:
    db = Database(pg.url)
    upgrade(db)
    return db


def fill_hub(hub_db: Database, *, own: list[Database] | None = None) -> dict[str, SiteConfig]:
    """The offices' rows and history in the hub's database (and each office's history in
    its own database of ``own``, in the order of OFFICES)."""
    configs = {code: office_config(code, name) for code, name, *_ in OFFICES}
    with hub_db.write() as s:
        for code, name, group, _seed, _n in OFFICES:
            row = OfficeRow(code=code, name=name, group_name=group, created_at=NOW)
            row.config = secretless(configs[code])
            s.add(row)
        s.add(OfficeRow(code=SILENT[0], name=SILENT[1], group_name=SILENT[2], created_at=NOW))
    for i, (code, _name, _group, seed, n) in enumerate(OFFICES):
        for db in [hub_db] + ([own[i]] if own else []):
            bulk_history(db, configs[code], first=FIRST, last=LAST, seed=seed, visits_per_day=n)
    return configs


@contextmanager
def province() -> Iterator[Province]:
    """The hub's database with the three offices' history, and each office's own."""
    pgs = [create_pg_database() for _ in range(len(OFFICES) + 1)]
    dbs = [_db(pg) for pg in pgs]
    try:
        configs = fill_hub(dbs[0], own=dbs[1:])
        offices = {
            code: (configs[code], db) for (code, *_), db in zip(OFFICES, dbs[1:], strict=True)
        }
        yield Province(dbs[0], offices)
    finally:
        for db in dbs:
            db.dispose()
        for pg in pgs:
            pg.drop()
