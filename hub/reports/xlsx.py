"""A report across offices as an Excel workbook, styled as the office's export
(`server.reports.xlsx`: numbers stay numbers, frozen header, widths, A4 landscape).

Sheets: Theo đơn vị (ranked) · Theo cụm · Toàn tỉnh (an office supervisor's workbook
has the first only) · then one "Bảng tổng hợp kết quả đánh giá sự hài lòng" per office,
in the office's official layout (`server.reports.xlsx.official_sheet`).
"""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from hub.reports.model import HubReport, Level, OfficeOfficial
from hub.reports.tables import level_table, levels_of
from hub.reports.wording import (
    FIGURE,
    GENERATED,
    LEVEL_TITLES,
    NOT_CONFIGURED,
    OFFICIAL_SHEET,
    TITLE,
    TOTALS_NOTE,
    WHOLE,
)
from server.config import SiteConfig
from server.reports.columns import FIGURE_COLUMNS
from server.reports.wording import pick
from server.reports.xlsx import official_sheet
from server.reports.xlsx_cells import (
    BORDER,
    FMT_INT,
    FORMATS,
    ITALIC,
    SMALL_FILL,
    figure_cell,
    header_row,
    print_setup,
    put,
    title_rows,
)


def _heading(report: HubReport, what: str, lang: str) -> list[str]:
    period = report.period.label_en if lang == "en" else report.period.label
    made = report.generated_at.astimezone(ZoneInfo(report.timezone)).strftime("%d/%m/%Y %H:%M")
    return [report.hub, what, f"{period} · {pick(GENERATED, lang)} {made}"]


def _footer(report: HubReport, lang: str) -> str:
    return f"{report.hub} – {report.period.label_en if lang == 'en' else report.period.label}"


def level_sheet(ws: Worksheet, report: HubReport, level: Level, lang: str) -> None:
    """One line per office (or group): the lead columns, then every figure."""
    ws.title = pick(LEVEL_TITLES[level], lang)
    table = level_table(report, level, lang)
    headers = table.headers(lang)
    title_rows(ws, _heading(report, pick(LEVEL_TITLES[level], lang), lang), len(headers))
    head = 4
    header_row(ws, head, headers)
    ws.row_dimensions[head].height = 45
    lead = len(table.lead_headers)
    r = head
    for r, line in enumerate(table.lines, start=head + 1):
        for i, value in enumerate(line.lead, start=1):
            put(ws, r, i, value, FMT_INT if isinstance(value, int) else None)
        for i, column in enumerate(FIGURE_COLUMNS, start=lead + 1):
            c = figure_cell(ws, r, i, column, line.figures, lang)
            if column.key == "small_sample" and line.figures.small_sample:
                c.fill = SMALL_FILL
    if level != "office":
        put(ws, r + 2, 1, pick(TOTALS_NOTE, lang)).font = ITALIC
    widths: list[float] = [8 if i == 0 and level != "province" else 28 for i in range(lead)]
    widths += [c.width for c in FIGURE_COLUMNS]
    print_setup(ws, head, f"{chr(ord('A') + lead)}{head + 1}", widths, _footer(report, lang), lang)


def province_sheet(ws: Worksheet, report: HubReport, lang: str) -> None:
    """The province's figures, one per line (easier to read than one wide line)."""
    assert report.province is not None
    ws.title = pick(LEVEL_TITLES["province"], lang)
    title_rows(ws, _heading(report, pick(WHOLE, lang), lang), 2)
    head = 4
    header_row(ws, head, [pick(FIGURE, lang), pick(WHOLE, lang)])
    for r, column in enumerate(FIGURE_COLUMNS, start=head + 1):
        put(ws, r, 1, column.header(lang)).border = BORDER
        value = column.value(report.province, lang)
        put(ws, r, 2, value, FORMATS.get(column.kind)).border = BORDER
    put(ws, head + len(FIGURE_COLUMNS) + 2, 1, pick(TOTALS_NOTE, lang)).font = ITALIC
    print_setup(ws, head, f"B{head + 1}", (40, 18), _footer(report, lang), lang)


def sheet_name(code: str, lang: str, taken: set[str]) -> str:
    """ "BĐG gialoc": unique, at most 31 characters (Excel's limit)."""
    base = f"{pick(OFFICIAL_SHEET, lang)} {code}"[:31]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def hub_xlsx(
    report: HubReport,
    tables: list[tuple[OfficeOfficial, SiteConfig]],
    lang: str = "vi",
) -> bytes:
    """The workbook: the levels of ``report``, then the official table of each office
    of ``tables`` (offices without configuration have none: a line says so)."""
    wb = Workbook()
    first = True
    for level in levels_of(report):
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        first = False
        if level == "province":
            province_sheet(ws, report, lang)
        else:
            level_sheet(ws, report, level, lang)
    taken = {ws.title.lower() for ws in wb.worksheets}
    year = report.period.end.year
    for official, config in tables:
        ws = wb.create_sheet()
        official_sheet(ws, official.table, config, year, lang)
        ws.title = sheet_name(official.code, lang, taken)
    missing = [o for o in report.offices if not o.configured]
    if missing:
        ws = wb.worksheets[0]
        row = ws.max_row + 2
        for o in missing:
            put(ws, row, 1, f"{o.code}: {pick(NOT_CONFIGURED, lang)}").font = ITALIC
            row += 1
    wb.properties.title = f"{pick(TITLE, lang)} – {report.hub}"
    wb.properties.creator = "motcua"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
