"""The report as an Excel workbook (openpyxl): numbers stay numbers (percentages 0–100
and minutes with a 0.0 format, counts as integers, days as dates), every sheet has a
frozen header, column widths and an A4 landscape print set-up (fit to the page width,
header rows repeated, "Trang 1/3" in the footer).

Sheets: Tổng hợp · Bảng đánh giá (the official table in its official layout) · one per
breakdown · Tiêu chí · Giờ cao điểm · Dấu hiệu bất thường · Hồ sơ.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from protocol.conduct import CONDUCT_ITEMS
from server.config import SiteConfig
from server.reports import official as off
from server.reports.charts import heat_hours
from server.reports.columns import (
    CODE,
    FIGURE_COLUMNS,
    RANK,
    Column,
    has_code,
    has_rank,
    key_header,
    row_label,
)
from server.reports.conduct_matrix import ConductMatrix, conduct_matrix, item_codes
from server.reports.dossiers import DOSSIER_HEADERS, DOSSIER_WIDTHS, DossierRow, dossier_cells
from server.reports.model import BY_VALUES, Figures, OfficialTable, Report
from server.reports.wording import (
    FLAG_KINDS,
    REPORT_TITLE,
    SHEETS,
    VIEW_TITLES,
    WEEKDAYS,
    filters_text,
    item_group,
    item_label,
    pick,
)

FMT_INT = "#,##0"
FMT_ONE = "0.0"
FMT_DATE = "dd/mm/yyyy"
FMT_TIME = "hh:mm"
FMT_DATETIME = "dd/mm/yyyy hh:mm"
FORMATS = {"int": FMT_INT, "pct": FMT_ONE, "min": FMT_ONE, "date": FMT_DATE}

_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
SMALL_FILL = PatternFill("solid", fgColor="FFF2CC")
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=13)
ITALIC = Font(italic=True)
WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
CENTER = Alignment(horizontal="center", vertical="center")
WORDS = {
    "figure": ("Chỉ tiêu", "Figure"),
    "this": ("Kỳ này", "This period"),
    "previous": ("Kỳ trước", "Previous period"),
    "last_year": ("Cùng kỳ năm trước", "Same period last year"),
    "vs_previous": ("So với kỳ trước", "Change vs previous"),
    "vs_last_year": ("So với cùng kỳ", "Change vs last year"),
    "flags": ("Dấu hiệu bất thường", "Anomalies flagged"),
    "apology": ("Phiếu xin lỗi đã in", "Apology letters printed"),
    "thanks": ("Thư cảm ơn đã in", "Thank-you letters printed"),
    "generated": ("Lập lúc", "Made at"),
    "item": ("Tiêu chí", "Item"),
    "group": ("Nhóm", "Group"),
    "times": ("Số lần", "Times"),
    "share": ("Tỷ lệ (%)", "Share (%)"),
    "cumulative": ("Cộng dồn (%)", "Cumulative (%)"),
    "reasons": ("Lý do không hài lòng", "Reasons for dissatisfaction"),
    "praised": ("Điều được khen", "What was praised"),
    "weekday": ("Thứ", "Weekday"),
    "total": ("Tổng", "Total"),
    "arrivals": ("Lượt lấy số theo thứ và giờ", "Arrivals by weekday and hour"),
    "wait": ("Thời gian chờ trung bình (phút) theo thứ và giờ", "Mean wait (min) by hour"),
    "kind": ("Loại", "Kind"),
    "desk": ("Quầy", "Desk"),
    "clerk": ("Cán bộ", "Clerk"),
    "count": ("Số đánh giá", "Ratings"),
    "first": ("Từ", "From"),
    "last": ("Đến", "To"),
    "delta": ("Ảnh hưởng tới tỷ lệ hài lòng (điểm %)", "Effect on satisfaction (points)"),
    "detail": ("Chi tiết", "Detail"),
    "none": ("Không có", "None"),
    "page": ("Trang &P/&N", "Page &P of &N"),
}


def w(key: str, lang: str) -> str:
    return pick(WORDS[key], lang)


# ---------------------------------------------------------------- cells and sheets


def put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None) -> Cell:
    """Write one cell; text is always text (a dossier code "=…" is no formula)."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    if fmt and value is not None:
        cell.number_format = fmt
    return cell


def header_row(ws: Worksheet, row: int, headers: Iterable[str], col: int = 1) -> None:
    for i, text in enumerate(headers):
        c = put(ws, row, col + i, text)
        c.font, c.fill, c.alignment, c.border = BOLD, HEAD_FILL, WRAP_CENTER, BORDER


def title_rows(ws: Worksheet, lines: Sequence[str], span: int) -> None:
    """The lines above a table, each merged across ``span`` columns."""
    for i, text in enumerate(lines, start=1):
        if not text:
            continue
        c = put(ws, i, 1, text)
        c.font = TITLE_FONT if i == 1 else Font(bold=i == 2)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=max(span, 1))


#: Column width units that still print readably across one A4 landscape page.
PAGE_WIDTH = 190


def print_setup(
    ws: Worksheet, head: int, freeze: str, widths: Sequence[float], footer_left: str, lang: str
) -> None:
    """A4 landscape, rows 1…``head`` on every page, frozen panes; fitted to the page
    width, or to as many pages wide as keep the text readable (a breakdown has some 30
    columns), with the first column repeated on each."""
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    pages_wide = max(1, math.ceil(sum(widths) / PAGE_WIDTH))
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"1:{head}"
    if pages_wide > 1:
        ws.print_title_cols = "A:A"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.left.text = footer_left.replace("&", "&&")
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = w("page", lang)
    ws.oddFooter.right.size = 8


def _heading(report: Report, config: SiteConfig, what: str, lang: str) -> list[str]:
    office = (report.office_en or report.office) if lang == "en" else report.office
    period = report.period.label_en if lang == "en" else report.period.label
    generated = report.generated_at.astimezone(config.tz).strftime("%d/%m/%Y %H:%M")
    extra = filters_text(report.filters, config, lang)
    info = f"{period} · {w('generated', lang)} {generated}" + (f" · {extra}" if extra else "")
    return [office, what, info]


def _footer(report: Report, lang: str) -> str:
    office = (report.office_en or report.office) if lang == "en" else report.office
    return f"{office} – {report.period.label_en if lang == 'en' else report.period.label}"


def _figure_cell(ws: Worksheet, row: int, col: int, column: Column, f: Figures, lang: str) -> Cell:
    return put(ws, row, col, column.value(f, lang), FORMATS.get(column.kind))


# ---------------------------------------------------------------- sheets


def summary_sheet(ws: Worksheet, report: Report, config: SiteConfig, lang: str) -> None:
    """Headline figures of the period beside the previous one and last year's."""
    ws.title = pick(SHEETS["summary"], lang)
    title_rows(ws, _heading(report, config, pick(REPORT_TITLE, lang), lang), 6)
    comps = [report.previous, report.last_year]

    def period_of(c: Any) -> str:
        return (c.period.label_en if lang == "en" else c.period.label) if c else "—"

    this = report.period.label_en if lang == "en" else report.period.label
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
    for key, value in (
        ("flags", len(report.flags)),
        ("apology", report.letters.apology),
        ("thanks", report.letters.thanks),
    ):
        put(ws, r, 1, w(key, lang)).border = BORDER
        put(ws, r, 2, value, FMT_INT).border = BORDER
        r += 1
    print_setup(ws, head, f"B{head + 1}", (38, 18, 18, 18, 16, 16), _footer(report, lang), lang)


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
    title_rows(ws, _heading(report, config, pick(VIEW_TITLES[by], lang), lang), len(headers))
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
            c = _figure_cell(ws, r, col, column, row.figures, lang)
            if column.key == "small_sample" and row.figures.small_sample:
                c.fill = SMALL_FILL
            col += 1
        r += 1
    first = 30 if by in ("clerk", "service", "week") else 14
    widths = [first] + [8] * (len(lead) - 1) + [c.width for c in FIGURE_COLUMNS]
    print_setup(ws, head, f"B{head + 1}", widths, _footer(report, lang), lang)


def _pareto_block(
    ws: Worksheet, head: int, col: int, counts: dict[str, int], codes: list[str], lang: str
) -> None:
    order = {item.code: i for i, item in enumerate(CONDUCT_ITEMS)}
    ranked = sorted(codes, key=lambda c: (-counts.get(c, 0), order[c]))
    total = sum(counts.get(c, 0) for c in codes)
    header_row(
        ws,
        head,
        [w(k, lang) for k in ("item", "group", "times", "share", "cumulative")],
        col,
    )
    running = 0
    for i, code in enumerate(ranked, start=1):
        n = counts.get(code, 0)
        running += n
        r = head + i
        put(ws, r, col, item_label(code, lang))
        put(ws, r, col + 1, item_group(code))
        put(ws, r, col + 2, n, FMT_INT)
        put(ws, r, col + 3, round(100 * n / total, 1) if total else None, FMT_ONE)
        put(ws, r, col + 4, round(100 * running / total, 1) if total else None, FMT_ONE)


#: Width of a clerk's or service's column in the conduct matrices (names wrap).
MATRIX_COL_WIDTH = 13
#: Light end colours of the matrices' per-column shading: reasons red, praise green.
MATRIX_COLORS = {"reasons": "EE9A94", "praised": "94CDAA"}


def _lines(text: str, width: int) -> int:
    """How many lines ``text`` takes wrapped at ``width`` characters (whole words)."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return lines


def _matrix_block(ws: Worksheet, top: int, m: ConductMatrix, lang: str) -> int:
    """A bold title at ``top``, the header below it (Tiêu chí, Nhóm, a column per clerk
    or service, Tổng), a row per item (Pareto order); returns the first row after it."""
    put(ws, top, 1, m.title(lang)).font = BOLD
    head = top + 1
    names = m.heads(lang)
    header_row(ws, head, [w("item", lang), w("group", lang), *names, w("total", lang)])
    lines = max([_lines(n, MATRIX_COL_WIDTH - 2) for n in names] + [1])
    ws.row_dimensions[head].height = 15 * lines + 3
    last = 3 + len(names)
    for i, code in enumerate(m.codes):
        r = head + 1 + i
        put(ws, r, 1, item_label(code, lang)).border = BORDER
        c = put(ws, r, 2, item_group(code))
        c.border, c.alignment = BORDER, CENTER
        for j, n in enumerate(m.counts[i]):
            put(ws, r, 3 + j, n, FMT_INT).border = BORDER
        c = put(ws, r, last, m.totals[i], FMT_INT)
        c.font, c.fill, c.border = BOLD, TOTAL_FILL, BORDER
    end = head + len(m.codes)
    for col in range(3, last):  # shaded within each column, like the page
        letter = get_column_letter(col)
        ws.conditional_formatting.add(
            f"{letter}{head + 1}:{letter}{end}",
            ColorScaleRule(
                start_type="num",
                start_value=0,
                start_color="FFFFFF",
                end_type="max",
                end_color=MATRIX_COLORS[m.kind],
            ),
        )
    return end + 2


def conduct_sheet(ws: Worksheet, report: Report, config: SiteConfig, lang: str) -> None:
    """Reasons (all 13 items) and praise (4 Xin / 4 Luôn), each sorted Pareto; below
    them the same items per clerk and per service (reasons × clerks, praise × clerks,
    reasons × services, praise × services)."""
    ws.title = pick(SHEETS["conduct"], lang)
    matrices = [
        conduct_matrix(report, kind, by)
        for by in ("clerk", "service")
        for kind in ("reasons", "praised")
    ]
    span = max([11] + [len(m.columns) + 3 for m in matrices])
    title_rows(ws, _heading(report, config, pick(SHEETS["conduct"], lang), lang), span)
    put(ws, 4, 1, w("reasons", lang)).font = BOLD
    put(ws, 4, 7, w("praised", lang)).font = BOLD
    head = 5
    reasons = item_codes("reasons")
    _pareto_block(ws, head, 1, report.total.reasons, reasons, lang)
    _pareto_block(ws, head, 7, report.total.praised, item_codes("praised"), lang)
    r = head + len(reasons) + 2
    for m in matrices:
        if m.by == "service" and m.kind == "reasons":
            ws.row_breaks.append(Break(id=r - 1))  # per service: a page of its own
        r = _matrix_block(ws, r, m, lang)
    pareto = (36, 10, 9, 10, 12, 3, 24, 10, 9, 10, 12)
    widths = [
        max(pareto[i] if i < len(pareto) else 0, MATRIX_COL_WIDTH if i >= 2 else 0)
        for i in range(span)
    ]
    # the title rows repeat on every printed page, the Pareto header would not belong
    print_setup(ws, 3, "A4", widths, _footer(report, lang), lang)


def heatmap_sheet(ws: Worksheet, report: Report, config: SiteConfig, lang: str) -> None:
    """Arrivals and mean wait per weekday × hour (local time of issue)."""
    ws.title = pick(SHEETS["heatmap"], lang)
    hm = report.heatmap
    hours = heat_hours(hm.arrivals)
    span = len(hours) + 2
    title_rows(ws, _heading(report, config, pick(SHEETS["heatmap"], lang), lang), span)
    head = 5
    put(ws, head - 1, 1, w("arrivals", lang)).font = BOLD
    hour_heads = [f"{h:02d}:00" for h in hours]
    header_row(ws, head, [w("weekday", lang), *hour_heads, w("total", lang)])
    for d, name in enumerate(WEEKDAYS):
        r = head + 1 + d
        put(ws, r, 1, pick(name, lang)).font = BOLD
        counts = hm.arrivals[d] if d < len(hm.arrivals) else [0] * 24
        for i, h in enumerate(hours):
            put(ws, r, 2 + i, counts[h], FMT_INT).alignment = CENTER
        put(ws, r, 2 + len(hours), sum(counts), FMT_INT).font = BOLD
    last = get_column_letter(1 + len(hours))
    ws.conditional_formatting.add(
        f"B{head + 1}:{last}{head + 7}",
        ColorScaleRule(start_type="min", start_color="FFFFFF", end_type="max", end_color="2F6DB5"),
    )
    head2 = head + 10
    put(ws, head2 - 1, 1, w("wait", lang)).font = BOLD
    header_row(ws, head2, [w("weekday", lang), *hour_heads])
    for d, name in enumerate(WEEKDAYS):
        r = head2 + 1 + d
        put(ws, r, 1, pick(name, lang)).font = BOLD
        waits = hm.wait_mean_s[d] if d < len(hm.wait_mean_s) else [None] * 24
        for i, h in enumerate(hours):
            value = waits[h]
            put(ws, r, 2 + i, None if value is None else value / 60, FMT_ONE).alignment = CENTER
    ws.conditional_formatting.add(
        f"B{head2 + 1}:{last}{head2 + 7}",
        ColorScaleRule(start_type="min", start_color="FFFFFF", end_type="max", end_color="E06666"),
    )
    print_setup(
        ws, head, f"B{head + 1}", [12] + [7] * len(hours) + [9], _footer(report, lang), lang
    )


def flags_sheet(ws: Worksheet, report: Report, config: SiteConfig, lang: str) -> None:
    """Suspicious patterns, for a person to look at (never deleted from the data)."""
    ws.title = pick(SHEETS["flags"], lang)
    keys = ("kind", "desk", "clerk", "count", "first", "last", "delta", "detail")
    title_rows(ws, _heading(report, config, pick(SHEETS["flags"], lang), lang), len(keys))
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
        put(ws, r, 5, _local(flag.first_at, tz), FMT_DATETIME)
        put(ws, r, 6, _local(flag.last_at, tz), FMT_DATETIME)
        put(ws, r, 7, flag.delta_pct, FMT_ONE)
        c = put(ws, r, 8, flag.detail_en if lang == "en" else flag.detail)
        c.alignment = Alignment(wrap_text=True, vertical="top")
    if not report.flags:
        put(ws, head + 1, 1, w("none", lang)).font = ITALIC
    widths = (22, 10, 22, 11, 17, 17, 16, 60)
    print_setup(ws, head, f"A{head + 1}", widths, _footer(report, lang), lang)


def dossiers_sheet(
    ws: Worksheet, report: Report, config: SiteConfig, rows: list[DossierRow], lang: str
) -> None:
    """One line per finished visit with a dossier code (rated or not)."""
    ws.title = pick(SHEETS["dossiers"], lang)
    title_rows(ws, _heading(report, config, pick(SHEETS["dossiers"], lang), lang), 8)
    head = 4
    header_row(ws, head, [pick(h, lang) for h in DOSSIER_HEADERS])
    ws.row_dimensions[head].height = 32
    date_col = 1 + next(i for i, v in enumerate(DOSSIER_HEADERS) if v[0] == "Ngày")
    for r, row in enumerate(rows, start=head + 1):
        ws.append(dossier_cells(row, lang))
        code = ws.cell(r, 1)
        if isinstance(code.value, str) and code.value.startswith("="):
            code.data_type = "s"
        ws.cell(r, date_col).number_format = FMT_DATE
        ws.cell(r, date_col + 1).number_format = FMT_TIME
    print_setup(ws, head, f"B{head + 1}", DOSSIER_WIDTHS, _footer(report, lang), lang)


def _local(at: datetime, tz: Any) -> datetime:
    """Excel has no time zones: local wall-clock time, naive."""
    return at.astimezone(tz).replace(tzinfo=None)


def _save(wb: Workbook, title: str, report: Report, lang: str) -> bytes:
    office = (report.office_en or report.office) if lang == "en" else report.office
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
    return _save(wb, pick(REPORT_TITLE, lang), report, lang)


def dossiers_xlsx(
    report: Report, rows: list[DossierRow], config: SiteConfig, lang: str = "vi"
) -> bytes:
    """The per-dossier export (mã hồ sơ, lĩnh vực, cán bộ, time, level, reasons) as an
    .xlsx file, headed with the office, the period and the filters of ``report``."""
    wb = Workbook()
    dossiers_sheet(wb.active, report, config, rows, lang)
    return _save(wb, pick(SHEETS["dossiers"], lang), report, lang)
