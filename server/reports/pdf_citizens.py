"""The PDF's "Ý kiến của công dân" part: the comments given with the period's ratings,
then the suggestion box (its counts and the notes received).

Citizens' words go through `esc` into reportlab's Paragraph markup (``<b>x</b>`` prints
as typed, nothing is interpreted). The contact a citizen left with a suggestion is not
printed: a PDF report may be posted or handed out; the page and the xlsx show it.

A PDF is read on paper: it lists the first `PDF_ITEMS` comments and suggestions and
says how many more the page and the Excel file hold.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from server.config import SiteConfig
from server.reports.citizens_cells import HEADINGS, Names, more_lines
from server.reports.citizens_cells import w as cw
from server.reports.model import Report
from server.reports.pdf_charts import num
from server.reports.pdf_layout import Styles, esc, grid
from server.reports.wording import (
    SHEETS,
    SUGGESTION_COUNTS,
    SUGGESTIONS_NOT_APPLICABLE,
    pick,
    raw_level_label,
)

#: Comments, and suggestions, printed at most (a few landscape pages).
PDF_ITEMS = 40


def para(text: str, st: Styles) -> Paragraph:
    """A citizen's text as a table cell: escaped, line breaks kept."""
    return Paragraph(esc(text).replace("\r\n", "\n").replace("\n", "<br/>"), st.cell)


def _head(keys: tuple[str, ...], st: Styles, lang: str) -> list[Any]:
    return [Paragraph(esc(pick(HEADINGS[k], lang)), st.head_cell) for k in keys]


def _comments(report: Report, names: Names, st: Styles, lang: str, width: float) -> list[Any]:
    items = report.citizens.comments[:PDF_ITEMS]
    out: list[Any] = [Paragraph(esc(cw("comments", lang)), st.h2)]
    if not items:
        return [*out, Paragraph(esc(cw("none", lang)), st.body)]
    keys = ("when", "number", "service", "desk", "clerk", "level", "source", "text")
    data: list[list[Any]] = [_head(keys, st, lang)]
    for c in items:
        day, at = names.local(c.at)
        data.append(
            [
                f"{day:%d/%m/%Y} {at:%H:%M}",
                c.number,
                Paragraph(esc(names.service(c.service)), st.cell),
                Paragraph(esc(names.desk(c.desk_id)), st.cell),
                Paragraph(esc(names.clerk(c.clerk_id)), st.cell),
                Paragraph(esc(raw_level_label(c.level_raw, lang)), st.cell),
                Paragraph(esc(names.source(c.source)), st.cell),
                para(c.text, st),
            ]
        )
    fractions = (0.1, 0.06, 0.12, 0.07, 0.11, 0.09, 0.08, 0.37)
    return [*out, grid(data, [width * f for f in fractions], numeric_from=len(keys), zebra=True)]


def _suggestions(report: Report, names: Names, st: Styles, lang: str, width: float) -> list[Any]:
    counts = report.citizens.suggestions
    out: list[Any] = [Paragraph(esc(cw("suggestions", lang)), st.h2)]
    if counts is None:
        return [*out, Paragraph(esc(pick(SUGGESTIONS_NOT_APPLICABLE, lang)), st.body)]
    line = " · ".join(
        f"{pick(SUGGESTION_COUNTS[k], lang)}: {num(getattr(counts, k), lang, 0)}"
        for k in SUGGESTION_COUNTS
    )
    out.append(Paragraph(esc(line), st.body))
    items = report.citizens.suggestion_items[:PDF_ITEMS]
    if not items:
        return out
    keys = ("when", "service", "status", "text")
    data: list[list[Any]] = [_head(keys, st, lang)]
    for s in items:
        day, at = names.local(s.received_at)
        data.append(
            [
                f"{day:%d/%m/%Y} {at:%H:%M}",
                Paragraph(esc(names.service(s.service)), st.cell),
                Paragraph(esc(names.status(s)), st.cell),
                para(s.text, st),
            ]
        )
    fractions = (0.1, 0.15, 0.15, 0.6)
    out += [
        Spacer(1, 2 * mm),
        grid(data, [width * f for f in fractions], numeric_from=len(keys)),
        Spacer(1, 2 * mm),
        Paragraph(esc(cw("no_contact_in_pdf", lang)), st.small),
    ]
    return out


def citizens_flowables(
    report: Report, config: SiteConfig, st: Styles, lang: str, width: float
) -> list[Flowable]:
    """The part as flowables, for a landscape page of ``width``."""
    names = Names(config, lang)
    out: list[Flowable] = [Paragraph(esc(pick(SHEETS["citizens"], lang)), st.h1)]
    out += _comments(report, names, st, lang, width)
    out += _suggestions(report, names, st, lang, width)
    out += [Paragraph(esc(text), st.small) for text in more_lines(report, lang, PDF_ITEMS)]
    return out
