"""What the hub's report page needs besides the figures: the period from its pickers
(the office's forms: day, ISO week, month, quarter, year, range), the period after, and
the report's lines as cells to show (numbers in the page's language)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hub.reports.model import HubReport, Level
from hub.reports.tables import LevelTable, level_table
from server.reports.columns import COLUMN_BY_KEY, Value
from server.reports.model import Figures
from server.reports.period import (
    Period,
    day_period,
    month_period,
    parse_period,
    quarter_period,
    week_period,
    year_period,
)

KINDS = ("day", "week", "month", "quarter", "year", "range")
#: The figures the page's table shows (the exports have every figure).
PAGE_KEYS: tuple[str, ...] = (
    "issued",
    "served",
    "no_show",
    "wait_mean",
    "service_mean",
    "service_level",
    "ratings",
    "satisfaction",
    "target",
    "meets_target",
    "response_rate",
    "dissatisfied",
)


def iso_day(text: str) -> str:
    """``05/11/2026`` (as typed) → ``2026-11-05``; anything else as it is (the period
    parser then says what is wrong with it)."""
    m = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*", text)
    return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}" if m else text.strip()


def picked_code(kind: str, v: dict[str, str]) -> str:
    """The period code of the pickers' values (``kind`` one of `KINDS`)."""
    year = v.get("year", "")
    if kind == "day":
        return iso_day(v.get("day", ""))
    if kind == "week":
        return f"{year}-W{v.get('week', '')}"
    if kind == "month":
        return f"{year}-{v.get('month', '')}"
    if kind == "quarter":
        return f"{year}-Q{v.get('quarter', '')}"
    if kind == "year":
        return year
    return f"{iso_day(v.get('from', ''))}..{iso_day(v.get('to', ''))}"


def following(p: Period) -> Period:
    """The period just after ``p``, of the same kind (a range: as many days)."""
    after = p.end + timedelta(days=1)
    if p.kind == "day":
        return day_period(after)
    if p.kind == "week":
        return week_period(after)
    if p.kind == "month":
        return month_period(after.year, after.month)
    if p.kind == "quarter":
        return quarter_period(after.year, (after.month - 1) // 3 + 1)
    if p.kind == "year":
        return year_period(after.year)
    return Period("range", after, after + timedelta(days=p.days - 1))


def pickers(p: Period) -> dict[str, Any]:
    """The pickers' values showing ``p``."""
    year, week, _ = p.start.isocalendar()
    return {
        "kind": p.kind,
        "day": f"{p.start:%d/%m/%Y}",
        "week": week,
        "month": p.start.month,
        "quarter": (p.start.month - 1) // 3 + 1,
        "year": year if p.kind == "week" else p.start.year,
        "from": f"{p.start:%d/%m/%Y}",
        "to": f"{p.end:%d/%m/%Y}",
    }


def default_period(today: date) -> Period:
    return month_period(today.year, today.month)


def period_asked(code: str | None, kind: str | None, values: dict[str, str], today: date) -> Period:
    """The period of ``code``, else of the pickers (``kind``), else this month
    (`PeriodError` for an impossible one)."""
    if code:
        return parse_period(code)
    if kind in KINDS:
        return parse_period(picked_code(kind, values))
    return default_period(today)


def number(value: Value, lang: str, digits: int = 0) -> str:
    """``1.234`` / ``95,2`` in Vietnamese, ``1,234`` / ``95.2`` in English; "—": no data."""
    if value is None or value == "":
        return "—"
    if not isinstance(value, int | float):
        return str(value)
    text = f"{value:,.{digits}f}"
    if lang != "en":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def cell(key: str, f: Figures, lang: str) -> str:
    column = COLUMN_BY_KEY[key]
    value = column.value(f, lang)
    digits = 1 if column.kind in ("pct", "min") else 0
    return number(value, lang, digits) if column.kind != "flag" else str(value or "")


@dataclass(frozen=True)
class ShownLine:
    lead: list[str]
    cells: list[str]
    #: ``good`` / ``bad`` against the target; "" without ratings or target.
    mark: str
    code: str | None
    small: bool


def shown(report: HubReport, level: Level, lang: str) -> tuple[LevelTable, list[ShownLine]]:
    """The lines of ``level`` as the page shows them."""
    table = level_table(report, level, lang)
    lines = []
    for line in table.lines:
        f = line.figures
        mark = "" if f.meets_target is None else ("good" if f.meets_target else "bad")
        lead = [number(v, lang) if isinstance(v, int) else str(v or "—") for v in line.lead]
        lines.append(
            ShownLine(
                lead=lead,
                cells=[cell(k, f, lang) for k in PAGE_KEYS],
                mark=mark,
                code=line.code,
                small=f.small_sample and f.ratings > 0,
            )
        )
    return table, lines


def headers(lang: str) -> list[str]:
    return [COLUMN_BY_KEY[k].header(lang) for k in PAGE_KEYS]
