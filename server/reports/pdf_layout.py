"""What every PDF page of a report shares: margins, colours, paragraph styles in DejaVu
Sans, the numbered canvas ("Trang 2/7" in the footer, with the office and period), the
A4 document with portrait and landscape page templates, and the table grid."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Table, TableStyle

from server.reports.pdf_fonts import BOLD, REGULAR, register_fonts

if TYPE_CHECKING:

    class Canvas:
        """What the numbered canvas uses of reportlab's canvas (reportlab has no types)."""

        _pagesize: tuple[float, float]
        _pageNumber: int

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...
        def _startPage(self) -> None: ...
        def showPage(self) -> None: ...
        def save(self) -> None: ...
        def saveState(self) -> None: ...
        def restoreState(self) -> None: ...
        def setStrokeColor(self, color: Any) -> None: ...
        def setFillColor(self, color: Any) -> None: ...
        def setLineWidth(self, width: float) -> None: ...
        def setFont(self, name: str, size: float) -> None: ...
        def line(self, x1: float, y1: float, x2: float, y2: float) -> None: ...
        def drawString(self, x: float, y: float, text: str) -> None: ...
        def drawRightString(self, x: float, y: float, text: str) -> None: ...

else:
    from reportlab.pdfgen.canvas import Canvas

MARGIN = 16 * mm
HEAD_BG = colors.HexColor("#DDE6F0")
ZEBRA = colors.HexColor("#F5F7FA")
SMALL_BG = colors.HexColor("#FFF2CC")
TOTAL_BG = colors.HexColor("#EDEDED")
LINE = colors.HexColor("#9A9A9A")


class Styles:
    """Paragraph styles in DejaVu Sans."""

    def __init__(self) -> None:
        register_fonts()
        base = ParagraphStyle("base", fontName=REGULAR, fontSize=9, leading=12)
        self.body = base
        self.small = ParagraphStyle("small", base, fontSize=7.5, leading=9.5)
        self.cell = ParagraphStyle("cell", base, fontSize=7.5, leading=9)
        self.head_cell = ParagraphStyle(
            "head_cell", base, fontName=BOLD, fontSize=7.5, leading=9, alignment=TA_CENTER
        )
        self.title = ParagraphStyle(
            "title", base, fontName=BOLD, fontSize=13, leading=17, alignment=TA_CENTER
        )
        self.subtitle = ParagraphStyle(
            "subtitle", base, fontName=BOLD, fontSize=11.5, leading=15, alignment=TA_CENTER
        )
        self.center = ParagraphStyle("center", base, alignment=TA_CENTER)
        self.center_bold = ParagraphStyle("center_bold", self.center, fontName=BOLD)
        self.right = ParagraphStyle("right", base, alignment=TA_RIGHT)
        self.h1 = ParagraphStyle(
            "h1",
            base,
            fontName=BOLD,
            fontSize=12,
            leading=16,
            spaceBefore=6,
            spaceAfter=6,
            keepWithNext=1,
        )
        self.h2 = ParagraphStyle(
            "h2",
            base,
            fontName=BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        )


def esc(text: str) -> str:
    """Text safe inside a reportlab Paragraph (its mini-markup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def canvas_maker(footer: str, page_word: str) -> type[Canvas]:
    """A canvas that prints "Trang n/N" once the page count is known (two passes)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = REGULAR  # no stray Helvetica in the file
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            width, _ = self._pagesize
            self.saveState()
            self.setStrokeColor(LINE)
            self.setLineWidth(0.4)
            self.line(MARGIN, 11 * mm, width - MARGIN, 11 * mm)
            self.setFont(REGULAR, 7.5)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawString(MARGIN, 7 * mm, footer)
            self.drawRightString(width - MARGIN, 7 * mm, f"{page_word} {self._pageNumber}/{total}")
            self.restoreState()

    return NumberedCanvas


def make_doc(buffer: io.BytesIO, title: str, author: str) -> BaseDocTemplate:
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=author,
        creator="motcua",
    )
    templates = []
    for name, size in (("portrait", A4), ("landscape", landscape(A4))):
        frame = Frame(
            MARGIN, 16 * mm, size[0] - 2 * MARGIN, size[1] - 30 * mm, id=name, showBoundary=0
        )
        templates.append(PageTemplate(id=name, frames=[frame], pagesize=size))
    doc.addPageTemplates(templates)
    return doc


def grid(
    data: list[list[Any]],
    widths: Sequence[float],
    *,
    numeric_from: int = 1,
    extra: Sequence[tuple[Any, ...]] = (),
    zebra: bool = True,
) -> Table:
    """A grid with a shaded header row repeated on every page; numbers right-aligned."""
    t = Table(data, colWidths=list(widths), repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), REGULAR, 7.5),
        ("FONT", (0, 0), (-1, 0), BOLD, 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("GRID", (0, 0), (-1, -1), 0.3, LINE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, 0), 2),
        ("RIGHTPADDING", (0, 0), (-1, 0), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if zebra:
        style += [("BACKGROUND", (0, r), (-1, r), ZEBRA) for r in range(2, len(data), 2)]
    t.setStyle(TableStyle(style + list(extra)))
    return t
