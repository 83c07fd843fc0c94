"""The official table ("Bảng tổng hợp kết quả đánh giá sự hài lòng") as PDF flowables in
its official layout, for the report's PDF and as a one-page PDF of its own."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table

from server.config import SiteConfig
from server.reports import official as off
from server.reports.model import OfficialTable
from server.reports.pdf_charts import num
from server.reports.pdf_fonts import BOLD, REGULAR
from server.reports.pdf_layout import (
    MARGIN,
    SMALL_BG,
    TOTAL_BG,
    Styles,
    canvas_maker,
    esc,
    grid,
    make_doc,
)
from server.reports.wording import pick


def official_flowables(
    table: OfficialTable, config: SiteConfig, year: int, st: Styles, lang: str, width: float
) -> list[Flowable]:
    """The official table in its official layout: national header, title, period, the
    table with totals, the formula, the date line and the two signatures."""
    half = width / 2
    top = Table(
        [
            [
                Paragraph(esc(table.parent_unit.upper()), st.center),
                Paragraph(esc(pick(off.NATION, lang)), st.center_bold),
            ],
            [
                Paragraph(esc(table.office.upper()), st.center_bold),
                Paragraph(esc(pick(off.MOTTO, lang)), st.center_bold),
            ],
        ],
        colWidths=[half * 0.9, half * 1.1],
        style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONT", (0, 0), (-1, -1), REGULAR, 9)],
    )
    out: list[Flowable] = [top, Spacer(1, 6 * mm)]
    out += [
        Paragraph(esc(table.title), st.title),
        Paragraph(esc(table.period_label), st.subtitle),
    ]
    target = off.target_line(table, lang, year)
    if target:
        out.append(Paragraph(esc(target), st.center))
    out.append(Spacer(1, 4 * mm))
    note = off.small_sample_note(config, lang)
    head_style = ParagraphStyle("official_head", st.head_cell, fontSize=7, leading=8.5)
    head = [Paragraph(esc(pick(h, lang)), head_style) for h in off.HEADERS]
    numbers = [
        Paragraph(esc(n), ParagraphStyle("n", st.head_cell, fontName=REGULAR, fontSize=6))
        for n in off.COLUMN_NUMBERS
    ]
    data: list[list[Any]] = [head, numbers]
    extra: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 1), (-1, 1), colors.white),
        ("ALIGN", (0, 2), (0, -1), "CENTER"),
        ("ALIGN", (7, 2), (7, -1), "CENTER"),
        ("ALIGN", (8, 2), (8, -1), "LEFT"),
    ]
    for row in [*table.rows, table.total]:
        cells = off.row_cells(row, lang, note)
        r = len(data)
        data.append(
            [
                str(cells[0]),
                Paragraph(esc(str(cells[1])), st.cell),
                num(cells[2], lang, 0),
                num(cells[3], lang, 0),
                num(cells[4], lang, 0),
                num(cells[5], lang, 0),
                num(cells[6], lang, 1),
                cells[7],
                Paragraph(esc(str(cells[8])), st.small) if cells[8] else "",
            ]
        )
        if row is table.total:
            extra += [
                ("FONT", (0, r), (-1, r), BOLD, 7.5),
                ("BACKGROUND", (0, r), (-1, r), TOTAL_BG),
            ]
            data[r][1] = Paragraph(f"<b>{esc(row.name)}</b>", st.cell)
        elif row.small_sample:
            extra.append(("BACKGROUND", (8, r), (8, r), SMALL_BG))
    fractions = (0.06, 0.2, 0.1, 0.1, 0.1, 0.1, 0.11, 0.1, 0.13)
    lines = grid(data, [width * f for f in fractions], numeric_from=2, extra=extra, zebra=False)
    out += [lines, Spacer(1, 2 * mm)]
    out.append(Paragraph(esc(off.footnote(config, lang)), st.small))
    out.append(Spacer(1, 5 * mm))
    signatures = Table(
        [
            ["", Paragraph(f"<i>{esc(off.date_line(table, lang))}</i>", st.center)],
            [
                Paragraph(esc(table.signer_left.upper()), st.center_bold),
                Paragraph(esc(table.signer_right.upper()), st.center_bold),
            ],
            [
                Paragraph(esc(pick(off.SIGN_HINT_LEFT, lang)), st.center),
                Paragraph(esc(pick(off.SIGN_HINT_RIGHT, lang)), st.center),
            ],
            ["", ""],
        ],
        colWidths=[half, half],
        rowHeights=[None, None, None, 22 * mm],
        style=[("FONT", (0, 0), (-1, -1), REGULAR, 9)],
    )
    out.append(KeepTogether([signatures]))
    return out


def official_pdf(table: OfficialTable, config: SiteConfig, year: int, lang: str = "vi") -> bytes:
    """The official table alone, on one A4 page (``year``: of the target line)."""
    st = Styles()
    buffer = io.BytesIO()
    doc = make_doc(buffer, f"{table.title} – {table.period_label}", table.office)
    story = official_flowables(table, config, year, st, lang, A4[0] - 2 * MARGIN)
    page = pick(("Trang", "Page"), lang)
    doc.build(story, canvasmaker=canvas_maker(f"{table.office} – {table.period_label}", page))
    return buffer.getvalue()
