"""A report as a file: the workbook (xlsx), the PDF or the CSV of one breakdown, built
from the database in one read session, and the name it is downloaded under. Shared by
the reports API (downloads) and ``motcua report``, so both give the same file."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.reports.csv_export import citizens_csv, dossiers_csv, report_csv
from server.reports.dossiers import dossier_rows
from server.reports.figures import build_report, check_filters
from server.reports.model import BY_VALUES, Filters, Report
from server.reports.official import official_table
from server.reports.pdf import report_pdf
from server.reports.period import Period
from server.reports.rollup import Rollups
from server.reports.xlsx import dossiers_xlsx, report_xlsx

Format = Literal["xlsx", "pdf", "csv"]
FORMATS: tuple[Format, ...] = ("xlsx", "pdf", "csv")
#: The CSV of "Ý kiến của công dân" (comments and suggestions), besides the breakdowns.
CITIZENS = "citizens"
CSV_VIEWS: tuple[str, ...] = (*BY_VALUES, CITIZENS)
MEDIA_TYPES: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


def report_file(
    s: Session,
    config: SiteConfig,
    period: Period,
    filters: Filters,
    fmt: Format,
    *,
    by: str = "clerk",
    lang: str = "vi",
    now: datetime | None = None,
    made_on: date | None = None,
    rollups: Rollups | None = None,
) -> tuple[bytes, Report]:
    """The file's bytes and the report they hold (`ReportError` for an unknown filter).

    xlsx and PDF hold every breakdown, the comparisons, the official table and what
    citizens wrote; a CSV holds the ``by`` breakdown only (``citizens``: the comments and
    suggestions)."""
    if fmt == "csv":
        views = () if by == CITIZENS else (by,)
        report = build_report(
            s, config, period, filters, compare=False, by=views, now=now, rollups=rollups
        )
        if by == CITIZENS:
            return citizens_csv(report, config, lang), report
        return report_csv(report, by, lang), report
    report = build_report(s, config, period, filters, by=BY_VALUES, now=now, rollups=rollups)
    table = official_table(report, config, lang, made_on=made_on)
    if fmt == "pdf":
        return report_pdf(report, table, config, lang), report
    return report_xlsx(report, table, config, lang), report


def dossiers_file(
    s: Session,
    config: SiteConfig,
    period: Period,
    filters: Filters,
    lang: str = "vi",
    fmt: Literal["csv", "xlsx"] = "csv",
    *,
    now: datetime | None = None,
    rollups: Rollups | None = None,
) -> bytes:
    """The per-dossier export as CSV or xlsx (an unknown filter: `ReportError`)."""
    check_filters(config, filters)
    rows = dossier_rows(s, config, period, filters)
    if fmt == "csv":
        return dossiers_csv(rows, lang)
    head = build_report(s, config, period, filters, compare=False, by=(), now=now, rollups=rollups)
    return dossiers_xlsx(head, rows, config, lang)


def _slug(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", value).strip("-") or "x"


def file_name(
    site: str, period: Period, filters: Filters, ext: str, *, what: str = "bao-cao", by: str = ""
) -> str:
    """``bao-cao-gialoc-2026-Q3.xlsx``: the filters (and a CSV's breakdown) are added
    (``bao-cao-gialoc-2026-Q3-c01-clerk.csv``); a range reads ``2026-11-01_2026-11-30``."""
    parts = [what, site, period.code.replace("..", "_")]
    parts += [v for v in (filters.service, filters.desk, filters.clerk, filters.source) if v]
    if by:
        parts.append(by)
    return "-".join(_slug(p) for p in parts) + "." + ext
