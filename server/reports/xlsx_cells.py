"""Cells, styles and the print set-up shared by every sheet of the Excel export.

Number formats (numbers stay numbers), the fonts, fills and borders, the words of the
headers, writing one cell safely (text is never a formula), title and header rows, and
the A4 landscape page set-up. Separate from the sheets so each sheet module reads as
"what goes where", not how a cell is styled.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from openpyxl.cell import Cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from protocol.i18n import localized
from server.config import SiteConfig
from server.reports.columns import Column
from server.reports.model import Figures, Report
from server.reports.wording import filters_text, pick

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


# ---------------------------------------------------------------- cells


#: Text Excel or LibreOffice could take for a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None) -> Cell:
    """Write one cell; text is always text: a dossier code or a citizen's comment
    "=HYPERLINK(…)" is stored as a string (never a formula) with Excel's quote prefix,
    and characters an xlsx cannot hold (control characters) are dropped."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True
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


def heading(report: Report, config: SiteConfig, what: str, lang: str) -> list[str]:
    office = localized(report.office, report.office_en, lang)
    period = localized(report.period.label, report.period.label_en, lang)
    generated = report.generated_at.astimezone(config.tz).strftime("%d/%m/%Y %H:%M")
    extra = filters_text(report.filters, config, lang)
    info = f"{period} · {w('generated', lang)} {generated}" + (f" · {extra}" if extra else "")
    return [office, what, info]


def footer(report: Report, lang: str) -> str:
    office = localized(report.office, report.office_en, lang)
    return f"{office} – {localized(report.period.label, report.period.label_en, lang)}"


def figure_cell(ws: Worksheet, row: int, col: int, column: Column, f: Figures, lang: str) -> Cell:
    return put(ws, row, col, column.value(f, lang), FORMATS.get(column.kind))


def local_time(at: datetime, tz: Any) -> datetime:
    """Excel has no time zones: local wall-clock time, naive."""
    return at.astimezone(tz).replace(tzinfo=None)
