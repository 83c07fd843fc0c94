"""A report across offices as a file (xlsx, CSV), built in one pass over the offices'
facts, and the name it is downloaded under."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from hub.config import HubConfig
from hub.reports.compute import all_facts, hub_report, made_on, scoped
from hub.reports.csv_export import hub_csv
from hub.reports.model import HubReport, Level, OfficeOfficial
from hub.reports.official import office_official
from hub.reports.tables import levels_of
from hub.reports.xlsx import hub_xlsx
from server.config import SiteConfig
from server.db.database import Database
from server.reports.period import Period
from server.timeutil import now_utc

Format = Literal["xlsx", "csv"]
MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def hub_file(
    db: Database,
    hub: HubConfig,
    period: Period,
    fmt: Format,
    *,
    codes: Iterable[str] | None = None,
    scope: str | None = None,
    level: Level = "office",
    lang: str = "vi",
    now: datetime | None = None,
    rollups: bool = True,
) -> tuple[bytes, HubReport]:
    """The file's bytes and the report they hold. xlsx: every level the account may
    see and each office's official table; CSV: the ``level`` asked for (an office
    supervisor's: their office's line, whatever level is asked)."""
    now = now or now_utc()
    parts = all_facts(db, period, scoped(codes, scope), now, rollups=rollups)
    report = hub_report(parts, hub, period, scope=scope, now=now)
    if fmt == "csv":
        return hub_csv(report, level if level in levels_of(report) else "office", lang), report
    day = made_on(hub, now)
    by_code = {p.office.code: p for p in parts}
    tables: list[tuple[OfficeOfficial, SiteConfig]] = []
    for line in report.offices:
        part = by_code[line.code]
        official = office_official(part, period, lang, day, now)
        if official is not None and part.office.config is not None:
            tables.append((official, part.office.config))
    return hub_xlsx(report, tables, lang), report


def official_of(
    db: Database,
    hub: HubConfig,
    period: Period,
    code: str,
    lang: str = "vi",
    *,
    now: datetime | None = None,
    rollups: bool = True,
) -> tuple[OfficeOfficial, SiteConfig] | None:
    """One office's official table and its configuration (None: no such office, or no
    configuration yet)."""
    now = now or now_utc()
    parts = all_facts(db, period, [code], now, rollups=rollups)
    if not parts or parts[0].office.config is None:
        return None
    made = office_official(parts[0], period, lang, made_on(hub, now), now)
    return (made, parts[0].office.config) if made else None


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", value).strip("-") or "x"


def file_name(period: Period, ext: str, *, scope: str | None = None, level: str = "") -> str:
    """``bao-cao-cac-don-vi-2026-Q3.xlsx``; an office supervisor's file names the
    office; a CSV its level (``…-2026-Q3-group.csv``)."""
    parts = ["bao-cao-cac-don-vi" if scope is None else f"bao-cao-{scope}"]
    parts.append(period.code.replace("..", "_"))
    if level:
        parts.append(level)
    return "-".join(_slug(p) for p in parts) + "." + ext
