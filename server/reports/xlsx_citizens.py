"""The workbook's "Ý kiến của công dân" sheet: the suggestion box's counts, then one
line per comment given with a rating and per suggestion (`server.reports.citizens_cells`),
with the contact a citizen left (the xlsx is a supervisor's download).

Every text is written with `server.reports.xlsx_cells.put`: a comment such as
``=HYPERLINK("http://x","y")`` stays a string, never a formula.
"""

from __future__ import annotations

from datetime import date, time

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from server.config import SiteConfig
from server.reports.citizens_cells import HEADERS, WIDTHS, WRAPPED, citizen_lines, more_lines
from server.reports.citizens_cells import w as cw
from server.reports.model import Report
from server.reports.wording import (
    SHEETS,
    SUGGESTION_COUNTS,
    SUGGESTIONS_NOT_APPLICABLE,
    pick,
)
from server.reports.xlsx_cells import (
    BORDER,
    FMT_DATE,
    FMT_INT,
    FMT_TIME,
    ITALIC,
    footer,
    header_row,
    heading,
    print_setup,
    put,
    title_rows,
)

_WRAP = Alignment(wrap_text=True, vertical="top")


def _format(value: object) -> str | None:
    if isinstance(value, date):
        return FMT_DATE
    return FMT_TIME if isinstance(value, time) else None


def citizens_sheet(ws: Worksheet, report: Report, config: SiteConfig, lang: str) -> None:
    ws.title = pick(SHEETS["citizens"], lang)
    title_rows(ws, heading(report, config, pick(SHEETS["citizens"], lang), lang), len(HEADERS))
    r = 5
    counts = report.citizens.suggestions
    if counts is None:
        put(ws, r, 1, pick(SUGGESTIONS_NOT_APPLICABLE, lang)).font = ITALIC
        r += 1
    else:
        for key, label in SUGGESTION_COUNTS.items():
            put(ws, r, 1, pick(label, lang)).border = BORDER
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=3)
            put(ws, r, 4, getattr(counts, key), FMT_INT).border = BORDER
            r += 1
    head = r + 1
    header_row(ws, head, [pick(h, lang) for h in HEADERS])
    r = head + 1
    for line in citizen_lines(report, config, lang):
        for col, cell in enumerate(line, start=1):
            c = put(ws, r, col, cell if cell != "" else None, _format(cell))
            if col in WRAPPED:
                c.alignment = _WRAP
        r += 1
    if r == head + 1:
        put(ws, r, 1, cw("none", lang)).font = ITALIC
        r += 1
    for text in more_lines(report, lang):
        put(ws, r, 1, text).font = ITALIC
        r += 1
    print_setup(ws, head, f"B{head + 1}", WIDTHS, footer(report, lang), lang)
