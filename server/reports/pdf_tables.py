"""The report's PDF tables: the conduct matrices (an item per row, a clerk or service per
column, tinted by frequency), the breakdown tables (a line per clerk, desk, service or
time bucket) and the suspicious patterns.

Apart from `server.reports.pdf`, which orders the sections of the document: these are
the parts that lay out many rows of figures, and they share the number formatting
(`fmt`) and the wording of their headers.
"""

from __future__ import annotations

import contextlib
import math
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from protocol.conduct import CONDUCT_ITEMS
from protocol.i18n import localized
from server.config import SiteConfig
from server.reports import pdf_charts
from server.reports.columns import COLUMN_BY_KEY, PDF_KEYS, Column, has_rank, key_header
from server.reports.conduct_matrix import ConductMatrix
from server.reports.model import Figures, Report, Row
from server.reports.pdf_charts import num
from server.reports.pdf_fonts import BOLD, REGULAR
from server.reports.pdf_layout import SMALL_BG, TOTAL_BG, Styles, esc, grid
from server.reports.wording import (
    FLAG_KINDS,
    KEY_HEADERS,
    VIEW_TITLES,
    item_group,
    item_label,
    pick,
)

WORDS: dict[str, tuple[str, str]] = {
    "flags": ("4. Dấu hiệu bất thường", "4. Suspicious patterns"),
    "flags_none": ("Không phát hiện dấu hiệu bất thường.", "No suspicious pattern found."),
    "flags_note": (
        "Các đánh giá bị đánh dấu vẫn được giữ và tính; người phụ trách cần xem xét.",
        "Flagged ratings are kept and counted; a person should look at them.",
    ),
    "kind": ("Loại", "Kind"),
    "where": ("Quầy / cán bộ", "Desk / clerk"),
    "count": ("Số đánh giá", "Ratings"),
    "when": ("Thời gian", "When"),
    "delta": ("Ảnh hưởng (điểm %)", "Effect (points)"),
    "detail": ("Chi tiết", "Detail"),
    "item": ("Tiêu chí", "Item"),
    "group": ("Nhóm", "Group"),
    "total": ("Tổng", "Total"),
    "matrix_note": (
        "Số lần mỗi tiêu chí được chọn, theo từng {who}; tiêu chí chọn nhiều nhất ở trên; "
        "ô càng đậm màu, số lần càng nhiều so với các tiêu chí khác của {who} đó.",
        "Times each item was chosen, per {who}; the most frequent item first; the darker "
        "a cell, the more often compared with the {who}'s other items.",
    ),
}


def w(key: str, lang: str) -> str:
    return pick(WORDS[key], lang)


def fmt(column: Column, f: Figures, lang: str) -> str:
    """A figure as printed: 3.391 / 97,4 / 12,5 (vi), 3,391 / 97.4 / 12.5 (en); — for none."""
    value = column.value(f, lang)
    if value is None or value == "":
        return "—" if column.kind != "flag" else ""
    if column.kind == "int" and isinstance(value, int | float):
        return num(value, lang, 0)
    if column.kind in ("pct", "min") and isinstance(value, int | float):
        return num(value, lang, 1)
    return str(value)


#: At most this many clerks side by side in one conduct table; more are split in parts.
MATRIX_MAX_COLUMNS = 8
#: The colours of the Pareto charts above the tables.
MATRIX_COLORS = {"reasons": pdf_charts.ORANGE, "praised": pdf_charts.GREEN}


def _tint(base: Any, share: float) -> Any:
    """White towards ``base``, at most a light tint (the count stays readable)."""
    t = 0.45 * max(0.0, min(1.0, share))
    return colors.Color(*(1 + (c - 1) * t for c in (base.red, base.green, base.blue)))


def _count(n: int, lang: str) -> str:
    return num(n, lang, 0) if n else "·"


def conduct_flowables(m: ConductMatrix, st: Styles, lang: str, width: float) -> list[Flowable]:
    """A conduct matrix as a table: a row per item (Pareto), a column per clerk or
    service, the total; each cell tinted by its share of its column's largest count.
    More than `MATRIX_MAX_COLUMNS` columns: split into parts of equal width, the
    item names repeated, the total in the last part."""
    size = 7.5
    labels = [item_label(c, lang) for c in m.codes]
    every = [item_label(i.code, lang) for i in CONDUCT_ITEMS]  # the same width in each table
    item_w = min(
        width * 0.36, 14 + max(stringWidth(t, REGULAR, size) for t in [*every, w("item", lang)])
    )
    group_w = 14 + stringWidth("5 Không", REGULAR, size)
    heads = m.heads(lang)
    biggest = _count(max([0, *m.totals]), lang)
    total_w = max(36.0, 12 + stringWidth(biggest, BOLD, size))
    # a clerk's column holds its longest count and the longest word of the name
    words = [word for h in heads for word in h.split()]
    col_min = max(
        [24.0, 10 + stringWidth(biggest, REGULAR, size)]
        + [6 + stringWidth(word, BOLD, size) for word in words]
    )
    room = width - item_w - group_w - total_w
    n = len(m.columns)
    fits = max(1, min(MATRIX_MAX_COLUMNS, int(room // col_min)))
    parts = max(1, math.ceil(n / fits))
    per = math.ceil(n / parts) if n else 0
    col_w = min(room / max(per, 1), 70.0)
    base = MATRIX_COLORS[m.kind]
    peaks = [max((line[j] for line in m.counts), default=0) for j in range(n)]
    out: list[Flowable] = [Paragraph(esc(m.title(lang)), st.h2)]
    for part in range(parts):
        cols = list(range(part * per, min(n, (part + 1) * per)))
        last = part == parts - 1
        head: list[Any] = [
            Paragraph(esc(w("item", lang)), st.head_cell),
            Paragraph(esc(w("group", lang)), st.head_cell),
            *(Paragraph(esc(heads[j]), st.head_cell) for j in cols),
        ]
        if last:
            head.append(Paragraph(esc(w("total", lang)), st.head_cell))
        data: list[list[Any]] = [head]
        extra: list[tuple[Any, ...]] = [
            ("ALIGN", (1, 1), (1, -1), "CENTER"),
            ("LEFTPADDING", (2, 1), (-1, -1), 4),
            ("RIGHTPADDING", (2, 1), (-1, -1), 4),
        ]
        for i, code in enumerate(m.codes):
            line: list[Any] = [labels[i], item_group(code)]
            for k, j in enumerate(cols):
                count = m.counts[i][j]
                line.append(_count(count, lang))
                if count and peaks[j]:
                    cell = (2 + k, i + 1)
                    extra.append(("BACKGROUND", cell, cell, _tint(base, count / peaks[j])))
            if last:
                line.append(_count(m.totals[i], lang))
            data.append(line)
        if last:
            extra += [
                ("FONT", (-1, 1), (-1, -1), BOLD, size),
                ("BACKGROUND", (-1, 1), (-1, -1), TOTAL_BG),
            ]
        widths = [item_w, group_w] + [col_w] * len(cols) + ([total_w] if last else [])
        table = grid(data, widths, numeric_from=2, extra=extra, zebra=False)
        table.hAlign = "LEFT"
        out += [table, Spacer(1, 2 * mm)]
    who = pick(KEY_HEADERS[m.by], lang).lower()
    out.append(Paragraph(esc(w("matrix_note", lang).format(who=who)), st.small))
    return [KeepTogether(out), Spacer(1, 4 * mm)]


def breakdown_flowables(
    report: Report, by: str, config: SiteConfig, st: Styles, lang: str, width: float
) -> list[Flowable]:
    """One breakdown as a table: a line per clerk / desk / service / time bucket."""
    rows: list[Row] = report.by.get(by, [])
    columns = [COLUMN_BY_KEY[k] for k in PDF_KEYS]
    rank = has_rank(by)
    head = [Paragraph(esc(key_header(by, lang)), st.head_cell)]
    if rank:
        head.append(Paragraph(esc(pick(("Hạng", "Rank"), lang)), st.head_cell))
    head += [Paragraph(esc(c.header(lang)), st.head_cell) for c in columns]
    data: list[list[Any]] = [head]
    extra: list[tuple[Any, ...]] = []
    for row in rows:
        label = localized(row.label, row.label_en, lang)
        if by == "day":
            with contextlib.suppress(ValueError):
                label = f"{date.fromisoformat(row.key):%d/%m/%Y}"
        line: list[Any] = [Paragraph(esc(label), st.cell)]
        if rank:
            line.append("" if row.rank is None else str(row.rank))
        line += [fmt(c, row.figures, lang) for c in columns]
        if row.figures.small_sample:
            line[-1] = "*"
            extra.append(("BACKGROUND", (0, len(data)), (-1, len(data)), SMALL_BG))
        data.append(line)
    extra.append(("ALIGN", (len(head) - 1, 1), (len(head) - 1, -1), "CENTER"))
    first = 150.0 if by in ("clerk", "service", "week") else 90.0
    n_rest = len(head) - 1
    rest = (width - first) / n_rest
    title = pick(VIEW_TITLES[by], lang)
    table = grid(data, [first] + [rest] * n_rest, extra=extra, zebra=True)
    return [Paragraph(esc(title), st.h2), table]


def flags_flowables(
    report: Report, config: SiteConfig, st: Styles, lang: str, width: float
) -> list[Flowable]:
    """The suspicious patterns found, for a person to look at (never hidden)."""
    out: list[Flowable] = [Paragraph(w("flags", lang), st.h1)]
    if not report.flags:
        return [*out, Paragraph(w("flags_none", lang), st.body)]
    head = [
        Paragraph(w(k, lang), st.head_cell)
        for k in ("kind", "where", "count", "when", "delta", "detail")
    ]
    data: list[list[Any]] = [head]
    tz = config.tz
    for flag in report.flags:
        desk = config.desk_by_id.get(flag.desk_id or "")
        clerk = config.clerk_by_id.get(flag.clerk_id or "")
        where = " / ".join(
            x
            for x in (desk.name if desk else flag.desk_id, clerk.name if clerk else flag.clerk_id)
            if x
        )
        first = flag.first_at.astimezone(tz)
        last = flag.last_at.astimezone(tz)
        when = f"{first:%d/%m/%Y %H:%M} – " + (
            f"{last:%H:%M}" if last.date() == first.date() else f"{last:%d/%m/%Y %H:%M}"
        )
        data.append(
            [
                Paragraph(esc(pick(FLAG_KINDS.get(flag.kind, (flag.kind,) * 2), lang)), st.cell),
                Paragraph(esc(where), st.cell),
                num(flag.count, lang, 0),
                Paragraph(esc(when), st.cell),
                num(flag.delta_pct, lang, 1),
                Paragraph(esc(localized(flag.detail, flag.detail_en, lang)), st.cell),
            ]
        )
    fractions = (0.14, 0.16, 0.08, 0.17, 0.09, 0.36)
    out.append(grid(data, [width * f for f in fractions], numeric_from=2))
    out += [Spacer(1, 2 * mm), Paragraph(w("flags_note", lang), st.small)]
    return out
