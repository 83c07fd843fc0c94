"""The report as a PDF (reportlab platypus): A4, DejaVu Sans embedded, "Trang 2/7" with the
office and period in every footer.

Portrait pages: the headline figures beside the previous period and last year, the
four charts (`server.reports.pdf_charts`), the official table with its signature block.
Landscape pages: the breakdown tables and the suspicious patterns.

Why reportlab: pure-Python wheels, TrueType embedding (subset) for Vietnamese, vector
charts in ``reportlab.graphics``, no Cairo or Pango system libraries (WeasyPrint's).
"""

from __future__ import annotations

import contextlib
import io
import math
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    Paragraph,
    Spacer,
)

from protocol.conduct import CONDUCT_ITEMS
from server.config import SiteConfig
from server.reports import pdf_charts
from server.reports.charts import chart_data, trend_by
from server.reports.columns import COLUMN_BY_KEY, PDF_KEYS, Column, has_rank, key_header
from server.reports.conduct_matrix import ConductMatrix, conduct_matrix
from server.reports.model import Figures, OfficialTable, Report, Row
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
from server.reports.pdf_official import official_flowables
from server.reports.wording import (
    FLAG_KINDS,
    KEY_HEADERS,
    REPORT_TITLE,
    VIEW_TITLES,
    filters_text,
    item_group,
    item_label,
    pick,
)

#: Headline figures (keys of `server.reports.columns`), in this order.
HEADLINE_KEYS: tuple[str, ...] = (
    "issued",
    "served",
    "no_show",
    "carried_over",
    "wait_mean",
    "wait_p90",
    "service_mean",
    "service_level",
    "idle_while_waiting",
    "ratings",
    "very_satisfied",
    "satisfied",
    "dissatisfied",
    "satisfaction",
    "target",
    "meets_target",
    "response_rate",
    "partial",
)
WORDS: dict[str, tuple[str, str]] = {
    "headline": ("1. Các chỉ số chính", "1. Headline figures"),
    "charts": ("2. Biểu đồ", "2. Charts"),
    "details": ("3. Số liệu chi tiết", "3. Detailed figures"),
    "flags": ("4. Dấu hiệu bất thường", "4. Suspicious patterns"),
    "flags_none": ("Không phát hiện dấu hiệu bất thường.", "No suspicious pattern found."),
    "flags_note": (
        "Các đánh giá bị đánh dấu vẫn được giữ và tính; người phụ trách cần xem xét.",
        "Flagged ratings are kept and counted; a person should look at them.",
    ),
    "figure": ("Chỉ tiêu", "Figure"),
    "this": ("Kỳ này", "This period"),
    "previous": ("Kỳ trước", "Previous period"),
    "last_year": ("Cùng kỳ năm trước", "Same period last year"),
    "anomalies": ("Dấu hiệu bất thường", "Suspicious patterns"),
    "apology": ("Phiếu xin lỗi đã in", "Apology letters printed"),
    "thanks": ("Thư cảm ơn đã in", "Thank-you letters printed"),
    "generated": ("Lập lúc", "Made at"),
    "page": ("Trang", "Page"),
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
    "small_note": (
        "Dòng tô vàng, dấu *: mẫu nhỏ (dưới {n} phiếu), chỉ để tham khảo.",
        "Yellow rows, *: small samples (fewer than {n} ratings), for reference only.",
    ),
}


def w(key: str, lang: str) -> str:
    return pick(WORDS[key], lang)


def fmt(column: Column, f: Figures, lang: str) -> str:
    """A figure as printed: 3.391 / 97,4 / 12,5 (vi), 3,391 / 97.4 / 12.5 (en); — for none."""
    value = column.value(f, lang)
    if value is None or value == "":
        return "—" if column.kind != "flag" else ""
    if column.kind == "int":
        return num(value, lang, 0)  # type: ignore[arg-type]
    if column.kind in ("pct", "min"):
        return num(value, lang, 1)  # type: ignore[arg-type]
    return str(value)


# ---------------------------------------------------------------- page furniture


# ---------------------------------------------------------------- sections


def _cover(report: Report, config: SiteConfig, st: Styles, lang: str) -> list[Flowable]:
    office = (report.office_en or report.office) if lang == "en" else report.office
    period = report.period.label_en if lang == "en" else report.period.label
    generated = report.generated_at.astimezone(config.tz).strftime("%d/%m/%Y %H:%M")
    out: list[Flowable] = []
    if config.letters.parent_unit:
        out.append(Paragraph(esc(config.letters.parent_unit.upper()), st.center))
    out += [
        Paragraph(esc(office.upper()), st.center_bold),
        Spacer(1, 6 * mm),
        Paragraph(esc(pick(REPORT_TITLE, lang)), st.title),
        Paragraph(esc(period), st.subtitle),
    ]
    extra = filters_text(report.filters, config, lang)
    info = f"{w('generated', lang)} {generated}" + (f" · {extra}" if extra else "")
    out += [Paragraph(esc(info), st.center), Spacer(1, 5 * mm)]
    return out


def _headline(report: Report, st: Styles, lang: str, width: float) -> list[Flowable]:
    comps = [report.previous, report.last_year]

    def head(key: str, label: str | None) -> Paragraph:
        text = w(key, lang) + (f"<br/>{esc(label)}" if label else "")
        return Paragraph(text, st.head_cell)

    def label_of(c: Any) -> str | None:
        return (c.period.label_en if lang == "en" else c.period.label) if c else None

    this = report.period.label_en if lang == "en" else report.period.label
    data: list[list[Any]] = [
        [
            Paragraph(w("figure", lang), st.head_cell),
            head("this", this),
            head("previous", label_of(comps[0])),
            head("last_year", label_of(comps[1])),
        ]
    ]
    bold_rows = []
    for key in HEADLINE_KEYS:
        column = COLUMN_BY_KEY[key]
        if key == "satisfaction":
            bold_rows.append(len(data))
        data.append(
            [column.header(lang), fmt(column, report.total, lang)]
            + [fmt(column, c.figures, lang) if c else "—" for c in comps]
        )
    for key, value in (
        ("anomalies", len(report.flags)),
        ("apology", report.letters.apology),
        ("thanks", report.letters.thanks),
    ):
        data.append([w(key, lang), num(value, lang, 0), "", ""])
    extra = [("FONT", (0, r), (-1, r), BOLD, 7.5) for r in bold_rows]
    first = width * 0.37
    rest = (width - first) / 3
    return [
        Paragraph(w("headline", lang), st.h1),
        grid(data, [first, rest, rest, rest], extra=extra),
    ]


def _charts(report: Report, config: SiteConfig, st: Styles, lang: str, width: float) -> list:
    data = chart_data(report, lang, small_sample=config.rating.small_sample)
    for part in data.values():
        if isinstance(part, dict):
            part.setdefault("no_data", data["no_data"])
    gap = Spacer(1, 5 * mm)
    return [
        CondPageBreak(230),
        Paragraph(w("charts", lang), st.h1),
        pdf_charts.trend_chart(data["trend"], width, 190, lang),
        gap,
        KeepTogether([pdf_charts.clerk_chart(data["clerks"], width, lang)]),
        gap,
        CondPageBreak(215),
        pdf_charts.pareto_chart(data["reasons"], width, 215, lang),
        gap,
        CondPageBreak(175),
        pdf_charts.pareto_chart(data["praised"], width, 175, lang, color=pdf_charts.GREEN),
        gap,
        *conduct_flowables(conduct_matrix(report, "reasons", "clerk"), st, lang, width),
        *conduct_flowables(conduct_matrix(report, "praised", "clerk"), st, lang, width),
        gap,
        KeepTogether([pdf_charts.heatmap_chart(data["heatmap"], width, lang)]),
    ]


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
        label = (row.label_en or row.label) if lang == "en" else row.label
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


def _flags(report: Report, config: SiteConfig, st: Styles, lang: str, width: float) -> list:
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
                Paragraph(esc(flag.detail_en if lang == "en" else flag.detail), st.cell),
            ]
        )
    fractions = (0.14, 0.16, 0.08, 0.17, 0.09, 0.36)
    out.append(grid(data, [width * f for f in fractions], numeric_from=2))
    out += [Spacer(1, 2 * mm), Paragraph(w("flags_note", lang), st.small)]
    return out


def time_views(report: Report) -> list[str]:
    """The time breakdowns printed: the chart's bucket, and months when it is weeks."""
    first = trend_by(report)
    return [first, "month"] if first == "week" else [first]


def report_pdf(report: Report, table: OfficialTable, config: SiteConfig, lang: str = "vi") -> bytes:
    """The whole report as a PDF (A4, DejaVu Sans embedded, charts, page numbers)."""
    st = Styles()
    buffer = io.BytesIO()
    office = (report.office_en or report.office) if lang == "en" else report.office
    period = report.period.label_en if lang == "en" else report.period.label
    doc = make_doc(buffer, f"{pick(REPORT_TITLE, lang)} – {period}", office)
    portrait_w = A4[0] - 2 * MARGIN
    landscape_w = A4[1] - 2 * MARGIN
    story: list[Flowable] = []
    story += _cover(report, config, st, lang)
    story += _headline(report, st, lang, portrait_w)
    story += _charts(report, config, st, lang, portrait_w)
    story.append(PageBreak())  # the official table: a page of its own, to be signed
    story += official_flowables(table, config, report.period.end.year, st, lang, portrait_w)
    story += [NextPageTemplate("landscape"), PageBreak(), Paragraph(w("details", lang), st.h1)]
    note = w("small_note", lang).format(n=config.rating.small_sample)
    story.append(Paragraph(esc(note), st.small))
    for by in ["clerk", "desk", "service", *time_views(report)]:
        story += breakdown_flowables(report, by, config, st, lang, landscape_w)
    story += [Spacer(1, 4 * mm)]
    story += _flags(report, config, st, lang, landscape_w)
    footer = f"{office} – {period}"
    doc.build(story, canvasmaker=canvas_maker(footer, w("page", lang)))
    return buffer.getvalue()
