"""The Excel sheets that show patterns rather than totals: "Tiêu chí" (what citizens
complained about or praised, as Pareto lists and per clerk and service matrices) and
"Giờ cao điểm" (arrivals and waits per weekday and hour).

Apart from `server.reports.xlsx` because their layout (blocks side by side, colour
scales, page breaks) has nothing in common with the one-row-per-thing tables there.
"""

from __future__ import annotations

from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from protocol.conduct import CONDUCT_ITEMS
from server.config import SiteConfig
from server.reports.charts import heat_hours
from server.reports.conduct_matrix import ConductMatrix, conduct_matrix, item_codes
from server.reports.model import Report
from server.reports.wording import SHEETS, WEEKDAYS, item_group, item_label, pick
from server.reports.xlsx_cells import (
    BOLD,
    BORDER,
    CENTER,
    FMT_INT,
    FMT_ONE,
    TOTAL_FILL,
    footer,
    header_row,
    heading,
    print_setup,
    put,
    title_rows,
    w,
)


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
    title_rows(ws, heading(report, config, pick(SHEETS["conduct"], lang), lang), span)
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
    print_setup(ws, 3, "A4", widths, footer(report, lang), lang)


def heatmap_sheet(ws: Worksheet, report: Report, config: SiteConfig, lang: str) -> None:
    """Arrivals and mean wait per weekday × hour (local time of issue)."""
    ws.title = pick(SHEETS["heatmap"], lang)
    hm = report.heatmap
    hours = heat_hours(hm.arrivals)
    span = len(hours) + 2
    title_rows(ws, heading(report, config, pick(SHEETS["heatmap"], lang), lang), span)
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
    print_setup(ws, head, f"B{head + 1}", [12] + [7] * len(hours) + [9], footer(report, lang), lang)
