"""The shipped fonts draw every Vietnamese letter, with the marks inside the image."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from ticket_printer.encoding import vietnamese_letters
from ticket_printer.raster import FONT_DIR, font, text_lines_image


def test_fonts_ship_with_their_licence() -> None:
    assert (FONT_DIR / "DejaVuSans.ttf").stat().st_size > 500_000
    assert (FONT_DIR / "DejaVuSans-Bold.ttf").stat().st_size > 500_000
    assert "Bitstream" in (FONT_DIR / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize("bold", [False, True])
def test_every_vietnamese_letter_has_a_glyph(bold: bool) -> None:
    f = font(30, bold)

    def draw(char: str) -> bytes:
        img = Image.new("L", (48, 56), 255)
        ImageDraw.Draw(img).text((4, 44), char, font=f, anchor="ls", fill=0)
        return img.tobytes()

    missing_glyph = draw("\U000f0000")  # private use: drawn as the .notdef box
    tofu = [c for c in vietnamese_letters() if draw(c) == missing_glyph]
    assert tofu == []
    # Tones are really drawn: ố differs from ô, and ô from o.
    assert draw("ố") != draw("ô") != draw("o")


def test_stacked_marks_are_not_clipped_in_raster_lines() -> None:
    image = text_lines_image("ỄẾỆỖ ỵ", 576, 26, bold=True).convert("L")
    top = image.crop((0, 0, image.width, 1)).getextrema()
    bottom = image.crop((0, image.height - 1, image.width, image.height)).getextrema()
    assert top == (255, 255) and bottom == (255, 255)  # white margin above and below
    assert image.getextrema() == (0, 255)
