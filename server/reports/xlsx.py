"""The report as an Excel workbook (openpyxl): numbers stay numbers (percentages 0–100
and minutes with a 0.0 format, counts as integers, days as dates), every sheet has a
frozen header, column widths and an A4 landscape print set-up (fit to the page width,
header rows repeated, "Trang 1/3" in the footer).

Sheets: Tổng hợp · Bảng đánh giá (the official table in its official layout) · one per
breakdown · Tiêu chí · Giờ cao điểm · Dấu hiệu bất thường · Ý kiến của công dân
(`server.reports.xlsx_citizens`) · Hồ sơ.

The cell styles and page set-up are in `server.reports.xlsx_cells`, the Tiêu chí and
Giờ cao điểm sheets in `server.reports.xlsx_patterns`.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from protocol.i18n import localized
from server.config import SiteConfig
from server.reports import official as off
from server.reports.columns import (
    CODE,
    FIGURE_COLUMNS,
    RANK,
    has_code,
    has_rank,
    key_header,
    row_label,
)
from server.reports.dossiers import DOSSIER_HEADERS, DOSSIER_WIDTHS, DossierRow, dossier_cells
from server.reports.model import BY_VALUES, OfficialTable, Report
from server.reports.wording import (
    FLAG_KINDS,
    REPORT_TITLE,
    SHEETS,
    SUGGESTION_COUNTS,
    VIEW_TITLES,
    pick,
)
from server.reports.xlsx_cells import (
    BOLD,
    BORDER,
    CENTER,
    FMT_DATE,
    FMT_DATETIME,
    FMT_INT,
    FMT_ONE,
    FMT_TIME,
    FORMATS,
    FORMULA_START,
    ITALIC,
    SMALL_FILL,
    TOTAL_FILL,
    figure_cell,
    footer,
    header_row,
    heading,
    local_time,
    print_setup,
    put,
    title_rows,
    w,
)
from server.reports.xlsx_citizens import citizens_sheet
from server.reports.xlsx_patterns import conduct_sheet, heatmap_sheet

# ---------------------------------------------------------------- sheets


def summary_sheet(ws: Worksheet, report: Report, config: SiteConfig, lang: str) -> None:
    """Headline figures of the period beside the previous one and last year's."""
    ws.title = pick(SHEETS["summary"], lang)
    title_rows(ws, heading(report, config, pick(REPORT_TITLE, lang), lang), 6)
    comps = [report.previous, report.last_year]

    def period_of(c: Any) -> str:
        return localized(c.period.label, c.period.label_en, lang) if c else "—"

    this = localized(report.period.label, report.period.label_en, lang)
    head = 5
    header_row(
        ws,
        head,
        [
            w("figure", lang),
            f"{w('this', lang)}\n{this}",
            f"{w('previous', lang)}\n{period_of(comps[0])}",
            f"{w('last_year', lang)}\n{period_of(comps[1])}",
            w("vs_previous", lang),
            w("vs_last_year", lang),
        ],
    )
    r = head + 1
    for column in FIGURE_COLUMNS:
        put(ws, r, 1, column.header(lang)).border = BORDER
        now = column.value(report.total, lang)
        fmt = FORMATS.get(column.kind)
        put(ws, r, 2, now, fmt).border = BORDER
        for i, comp in enumerate(comps):
            then = column.value(comp.figures, lang) if comp else None
            put(ws, r, 3 + i, then, fmt).border = BORDER
            diff = None
            if isinstance(now, int | float) and isinstance(then, int | float):
                diff = round(now - then, 1) if column.kind != "int" else now - then
            put(ws, r, 5 + i, diff, FMT_ONE if column.kind != "int" else FMT_INT).border = BORDER
        r += 1
    extra = [
        (w("flags", lang), len(report.flags)),
        (w("apology", lang), report.letters.apology),
        (w("thanks", lang), report.letters.thanks),
    ]
    counts = report.citizens.suggestions
    if counts is not None:
        extra += [(pick(SUGGESTION_COUNTS[k], lang), getattr(counts, k)) for k in SUGGESTION_COUNTS]
    for label, value in extra:
        put(ws, r, 1, label).border = BORDER
        put(ws, r, 2, value, FMT_INT).border = BORDER
        r += 1
    print_setup(ws, head, f"B{head + 1}", (38, 18, 18, 18, 16, 16), footer(report, lang), lang)


def official_sheet(
    ws: Worksheet, table: OfficialTable, config: SiteConfig, year: int, lang: str
) -> None:
    """ "Bảng tổng hợp kết quả đánh giá sự hài lòng" in its official layout."""
    ws.title = pick(SHEETS["official"], lang)
    ncols = len(off.HEADERS)

    def line(row: int, text: str, first: int, last: int, font: Font) -> None:
        if not text:
            return
        c = put(ws, row, first, text)
        c.font, c.alignment = font, Alignment(horizontal="center", wrap_text=True)
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)

    line(1, table.parent_unit.upper(), 1, 3, Font(size=11))
    line(2, table.office.upper(), 1, 3, Font(bold=True, size=11))
    line(1, pick(off.NATION, lang), 5, ncols, Font(bold=True, size=11))
    line(2, pick(off.MOTTO, lang), 5, ncols, Font(bold=True, size=11))
    line(4, table.title, 1, ncols, Font(bold=True, size=14))
    line(5, table.period_label, 1, ncols, Font(bold=True, size=12))
    line(6, off.target_line(table, lang, year), 1, ncols, ITALIC)
    ws.row_dimensions[2].height = 30
    head = 8
    header_row(ws, head, [pick(h, lang) for h in off.HEADERS])
    ws.row_dimensions[head].height = 32
    for i, text in enumerate(off.COLUMN_NUMBERS, start=1):
        c = put(ws, head + 1, i, text)
        c.font, c.alignment, c.border = Font(italic=True, size=9), CENTER, BORDER
    note = off.small_sample_note(config, lang)
    r = head + 2
    formats = (None, None, FMT_INT, FMT_INT, FMT_INT, FMT_INT, FMT_ONE, None, None)
    for orow in [*table.rows, table.total]:
        total = orow is table.total
        for i, (value, fmt) in enumerate(
            zip(off.row_cells(orow, lang, note), formats, strict=True)
        ):
            c = put(ws, r, i + 1, value, fmt)
            c.border = BORDER
            if total:
                c.font, c.fill = BOLD, TOTAL_FILL
            elif orow.small_sample and i == 8:
                c.fill = SMALL_FILL
            if i in (0, 7):
                c.alignment = CENTER
        r += 1
    c = put(ws, r, 1, off.footnote(config, lang))
    c.font = Font(italic=True, size=9)
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
    r += 2
    line(r, off.date_line(table, lang), 5, ncols, ITALIC)
    r += 1
    line(r, table.signer_left.upper(), 1, 3, BOLD)
    line(r, table.signer_right.upper(), 5, ncols, BOLD)
    r += 1
    line(r, pick(off.SIGN_HINT_LEFT, lang), 1, 3, ITALIC)
    line(r, pick(off.SIGN_HINT_RIGHT, lang), 5, ncols, ITALIC)
    print_setup(
        ws,
        head + 1,
        f"A{head + 2}",
        (6, 28, 11, 11, 11, 11, 14, 12, 24),
        f"{table.office} – {table.period_label}",
        lang,
    )


def breakdown_sheet(ws: Worksheet, report: Report, config: SiteConfig, by: str, lang: str) -> None:
    """One row per clerk / desk / service / day / week / month, each figure a column."""
    ws.title = pick(VIEW_TITLES[by], lang)
    lead: list[str] = [key_header(by, lang)]
    if has_code(by):
        lead.append(pick(CODE, lang))
    if has_rank(by):
        lead.append(pick(RANK, lang))
    headers = lead + [c.header(lang) for c in FIGURE_COLUMNS]
    title_rows(ws, heading(report, config, pick(VIEW_TITLES[by], lang), lang), len(headers))
    head = 4
    header_row(ws, head, headers)
    ws.row_dimensions[head].height = 45
    r = head + 1
    for row in report.by.get(by, []):
        label = row_label(row, by, lang)
        put(ws, r, 1, label, FMT_DATE if isinstance(label, date) else None)
        col = 2
        if has_code(by):
            put(ws, r, col, row.key)
            col += 1
        if has_rank(by):
            put(ws, r, col, row.rank, FMT_INT)
            col += 1
        for column in FIGURE_COLUMNS:
            c = figure_cell(ws, r, col, column, row.figures, lang)
            if column.key == "small_sample" and row.figures.small_sample:
                c.fill = SMALL_FILL
            col += 1
        r += 1
    first = 30 if by in ("clerk", "service", "week") else 14
    widths = [first] + [8] * (len(lead) - 1) + [c.width for c in FIGURE_COLUMNS]
    print_setup(ws, head, f"B{head + 1}", widths, footer(report, lang), lang)


def flags_sheet(ws: Worksheet, report: Report, config: SiteConfig, lang: str) -> None:
    """Suspicious patterns, for a person to look at (never deleted from the data)."""
    ws.title = pick(SHEETS["flags"], lang)
    keys = ("kind", "desk", "clerk", "count", "first", "last", "delta", "detail")
    title_rows(ws, heading(report, config, pick(SHEETS["flags"], lang), lang), len(keys))
    head = 4
    header_row(ws, head, [w(k, lang) for k in keys])
    ws.row_dimensions[head].height = 32
    tz = config.tz
    for i, flag in enumerate(report.flags, start=1):
        r = head + i
        desk = config.desk_by_id.get(flag.desk_id or "")
        clerk = config.clerk_by_id.get(flag.clerk_id or "")
        put(ws, r, 1, pick(FLAG_KINDS.get(flag.kind, (flag.kind, flag.kind)), lang))
        put(ws, r, 2, desk.name if desk else (flag.desk_id or ""))
        put(ws, r, 3, clerk.name if clerk else (flag.clerk_id or ""))
        put(ws, r, 4, flag.count, FMT_INT)
        put(ws, r, 5, local_time(flag.first_at, tz), FMT_DATETIME)
        put(ws, r, 6, local_time(flag.last_at, tz), FMT_DATETIME)
        put(ws, r, 7, flag.delta_pct, FMT_ONE)
        c = put(ws, r, 8, localized(flag.detail, flag.detail_en, lang))
        c.alignment = Alignment(wrap_text=True, vertical="top")
    if not report.flags:
        put(ws, head + 1, 1, w("none", lang)).font = ITALIC
    widths = (22, 10, 22, 11, 17, 17, 16, 60)
    print_setup(ws, head, f"A{head + 1}", widths, footer(report, lang), lang)


def dossiers_sheet(
    ws: Worksheet, report: Report, config: SiteConfig, rows: list[DossierRow], lang: str
) -> None:
    """One line per finished visit with a dossier code (rated or not)."""
    ws.title = pick(SHEETS["dossiers"], lang)
    title_rows(ws, heading(report, config, pick(SHEETS["dossiers"], lang), lang), 8)
    head = 4
    header_row(ws, head, [pick(h, lang) for h in DOSSIER_HEADERS])
    ws.row_dimensions[head].height = 32
    date_col = 1 + next(i for i, v in enumerate(DOSSIER_HEADERS) if v[0] == "Ngày")
    for r, row in enumerate(rows, start=head + 1):
        ws.append(dossier_cells(row, lang))
        code = ws.cell(r, 1)
        if isinstance(code.value, str) and code.value.startswith(FORMULA_START):
            code.data_type = "s"
        ws.cell(r, date_col).number_format = FMT_DATE
        ws.cell(r, date_col + 1).number_format = FMT_TIME
    print_setup(ws, head, f"B{head + 1}", DOSSIER_WIDTHS, footer(report, lang), lang)


def _save(wb: Workbook, title: str, report: Report, lang: str) -> bytes:
    office = localized(report.office, report.office_en, lang)
    wb.properties.title = f"{title} – {office}"
    wb.properties.creator = "motcua"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report_xlsx(
    report: Report,
    table: OfficialTable,
    config: SiteConfig,
    lang: str = "vi",
) -> bytes:
    """The whole report as an .xlsx file (the dossiers are a file of their own:
    `dossiers_xlsx`, a year of them is a third of a million cells)."""
    wb = Workbook()
    summary_sheet(wb.active, report, config, lang)
    official_sheet(wb.create_sheet(), table, config, report.period.end.year, lang)
    for by in BY_VALUES:
        breakdown_sheet(wb.create_sheet(), report, config, by, lang)
    conduct_sheet(wb.create_sheet(), report, config, lang)
    heatmap_sheet(wb.create_sheet(), report, config, lang)
    flags_sheet(wb.create_sheet(), report, config, lang)
    citizens_sheet(wb.create_sheet(), report, config, lang)
    return _save(wb, pick(REPORT_TITLE, lang), report, lang)


def dossiers_xlsx(
    report: Report, rows: list[DossierRow], config: SiteConfig, lang: str = "vi"
) -> bytes:
    """The per-dossier export (mã hồ sơ, lĩnh vực, cán bộ, time, level, reasons) as an
    .xlsx file, headed with the office, the period and the filters of ``report``."""
    wb = Workbook()
    dossiers_sheet(wb.active, report, config, rows, lang)
    return _save(wb, pick(SHEETS["dossiers"], lang), report, lang)
