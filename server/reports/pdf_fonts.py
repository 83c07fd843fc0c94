"""The font of every PDF the server makes (reports, letters): DejaVu Sans, shipped with
`ticket_printer` for the tickets, covers every Vietnamese letter and is embedded in the
file, so a PDF prints the same on any office computer."""

from __future__ import annotations

from functools import cache
from importlib import resources

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"


@cache
def register_fonts() -> str:
    """Register DejaVu Sans (regular and bold) with reportlab once; its family name."""
    fonts = resources.files("ticket_printer") / "fonts"
    for name in (REGULAR, BOLD):
        with resources.as_file(fonts / f"{name}.ttf") as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
    return REGULAR
