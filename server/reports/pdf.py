"""The report as a PDF (reportlab platypus): A4, DejaVu Sans embedded, "Trang 2/7" with the
office and period in every footer.

Portrait pages: the headline figures beside the previous period and last year, the
four charts (`server.reports.pdf_charts`), the official table with its signature block.
Landscape pages: the breakdown tables, the suspicious patterns and what citizens wrote
(`server.reports.pdf_citizens`: comments and suggestions, without the contacts).

Why reportlab: pure-Python wheels, TrueType embedding (subset) for Vietnamese, vector
charts in ``reportlab.graphics``, no Cairo or Pango system libraries (WeasyPrint's).

The tables (conduct matrices, breakdowns, suspicious patterns) are in
`server.reports.pdf_tables`, the charts in `server.reports.pdf_charts`, the official
table in `server.reports.pdf_official`.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    Paragraph,
    Spacer,
)

from protocol.i18n import localized
from server.config import SiteConfig
from server.reports import pdf_charts
from server.reports.charts import chart_data, trend_by
from server.reports.columns import COLUMN_BY_KEY
from server.reports.conduct_matrix import conduct_matrix
from server.reports.model import OfficialTable, Report
from server.reports.pdf_charts import num
from server.reports.pdf_citizens import citizens_flowables
from server.reports.pdf_fonts import BOLD
from server.reports.pdf_layout import MARGIN, Styles, canvas_maker, esc, grid, make_doc
from server.reports.pdf_official import official_flowables
from server.reports.pdf_tables import breakdown_flowables, conduct_flowables, flags_flowables, fmt
from server.reports.wording import REPORT_TITLE, SUGGESTION_COUNTS, filters_text, pick

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
    "ratings_pad",
    "ratings_kiosk",
    "ratings_phone",
)
WORDS: dict[str, tuple[str, str]] = {
    "headline": ("1. Các chỉ số chính", "1. Headline figures"),
    "charts": ("2. Biểu đồ", "2. Charts"),
    "details": ("3. Số liệu chi tiết", "3. Detailed figures"),
    "figure": ("Chỉ tiêu", "Figure"),
    "this": ("Kỳ này", "This period"),
    "previous": ("Kỳ trước", "Previous period"),
    "last_year": ("Cùng kỳ năm trước", "Same period last year"),
    "anomalies": ("Dấu hiệu bất thường", "Suspicious patterns"),
    "apology": ("Phiếu xin lỗi đã in", "Apology letters printed"),
    "thanks": ("Thư cảm ơn đã in", "Thank-you letters printed"),
    "generated": ("Lập lúc", "Made at"),
    "page": ("Trang", "Page"),
    "small_note": (
        "Dòng tô vàng, dấu *: mẫu nhỏ (dưới {n} phiếu), chỉ để tham khảo.",
        "Yellow rows, *: small samples (fewer than {n} ratings), for reference only.",
    ),
}


def w(key: str, lang: str) -> str:
    return pick(WORDS[key], lang)


# ---------------------------------------------------------------- sections


def _cover(report: Report, config: SiteConfig, st: Styles, lang: str) -> list[Flowable]:
    office = localized(report.office, report.office_en, lang)
    period = localized(report.period.label, report.period.label_en, lang)
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
        return localized(c.period.label, c.period.label_en, lang) if c else None

    this = localized(report.period.label, report.period.label_en, lang)
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
    counted = [
        (w("anomalies", lang), len(report.flags)),
        (w("apology", lang), report.letters.apology),
        (w("thanks", lang), report.letters.thanks),
    ]
    counts = report.citizens.suggestions
    if counts is not None:
        counted += [
            (pick(SUGGESTION_COUNTS[k], lang), getattr(counts, k)) for k in SUGGESTION_COUNTS
        ]
    for label, value in counted:
        data.append([label, num(value, lang, 0), "", ""])
    extra = [("FONT", (0, r), (-1, r), BOLD, 7.5) for r in bold_rows]
    first = width * 0.37
    rest = (width - first) / 3
    return [
        Paragraph(w("headline", lang), st.h1),
        grid(data, [first, rest, rest, rest], extra=extra),
    ]


def _charts(
    report: Report, config: SiteConfig, st: Styles, lang: str, width: float
) -> list[Flowable]:
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


def time_views(report: Report) -> list[str]:
    """The time breakdowns printed: the chart's bucket, and months when it is weeks."""
    first = trend_by(report)
    return [first, "month"] if first == "week" else [first]


def report_pdf(report: Report, table: OfficialTable, config: SiteConfig, lang: str = "vi") -> bytes:
    """The whole report as a PDF (A4, DejaVu Sans embedded, charts, page numbers)."""
    st = Styles()
    buffer = io.BytesIO()
    office = localized(report.office, report.office_en, lang)
    period = localized(report.period.label, report.period.label_en, lang)
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
    story += flags_flowables(report, config, st, lang, landscape_w)
    story += [Spacer(1, 4 * mm)]
    story += citizens_flowables(report, config, st, lang, landscape_w)
    footer = f"{office} – {period}"
    doc.build(story, canvasmaker=canvas_maker(footer, w("page", lang)))
    return buffer.getvalue()
