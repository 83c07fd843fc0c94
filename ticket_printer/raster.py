"""Raster printing: Vietnamese drawn with Pillow and the shipped DejaVu fonts.

Used for printers without a usable Vietnamese code page (``mode: raster``), for the full
raster ticket that the benchmark compares against, and for logos. Images are sent with
``GS v 0`` in bands of :data:`BAND_ROWS` rows: a small band bounds how much data a printer
can still be waiting for after an aborted write (see ``Printer`` resync).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from .layout import Block, LogoBlock, NumberBlock, QrBlock, SpaceBlock, TextBlock

BAND_ROWS = 64
FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FONTS = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
#: Pixel size per text style (203 dpi: 26 px ≈ 3.3 mm capitals with room for stacked marks).
STYLE_SIZE = {"title": 26, "heading": 34, "normal": 26, "small": 22, "mark": 28}
STYLE_BOLD = {"title": True, "heading": True, "normal": False, "small": False, "mark": True}


def font_path(bold: bool = False) -> Path:
    """Path of a shipped font file."""
    return FONT_DIR / _FONTS[bold]


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The shipped DejaVu Sans (Bold) at ``size`` pixels."""
    return ImageFont.truetype(str(font_path(bold)), size)


def line_height(f: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """(height, baseline) fitting stacked Vietnamese capitals (Ễ) and descenders (ỵ)."""
    top = f.getbbox("ỄẾỆỖ", anchor="ls")[1]
    bottom = f.getbbox("gjpqyỵ", anchor="ls")[3]
    pad = max(2, int(f.size) // 10)
    return int(bottom - top) + 2 * pad, int(-top) + pad


def wrap(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedy word wrap; ``fits(candidate)`` says whether a line fits. Long words are split."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        while not fits(word) and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and not fits(word[:cut]):
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


def to_1bit(image: Image.Image, threshold: int = 128) -> Image.Image:
    """Black (ink) where darker than ``threshold``; no dithering, so text edges stay crisp."""
    grey = image.convert("L")
    return grey.point(lambda v: 0 if v < threshold else 255, mode="1")


def text_lines_image(
    text: str,
    width: int,
    size: int,
    bold: bool = False,
    invert: bool = False,
    align: str = "center",
    crop: bool = True,
) -> Image.Image:
    """The paragraph drawn as black-on-white lines, 1-bit.

    With ``crop`` the image is only as wide as the longest line (rounded up to 8 dots) and
    the printer aligns it with ``ESC a``, which saves bytes on short lines.
    """
    f = font(size, bold)
    margin = 8 if invert else 0
    lines = wrap(text, lambda s: f.getlength(s) + 2 * margin <= width)
    height, baseline = line_height(f)
    used = max(int(f.getlength(line)) for line in lines) + 2 * margin + 2
    canvas_w = min(width, (used + 7) // 8 * 8) if crop else width
    image = Image.new("L", (canvas_w, height * len(lines)), 0 if invert else 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        line_w = f.getlength(line)
        if align == "center":
            x = (canvas_w - line_w) / 2
        elif align == "right":
            x = canvas_w - line_w - margin
        else:
            x = margin
        draw.text((x, i * height + baseline), line, font=f, anchor="ls", fill=255 if invert else 0)
    return to_1bit(image)


def number_image(text: str, width: int) -> Image.Image:
    """The queue number as large as fits: about 190 dots tall on 80 mm paper."""
    size = 200
    f = font(size, True)
    while f.getlength(text) > width * 0.9 and size > 40:
        size -= 8
        f = font(size, True)
    left, top, right, bottom = f.getbbox(text, anchor="ls")
    pad = 8
    image = Image.new("L", (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad), 255)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, font=f, anchor="ls", fill=0)
    return to_1bit(image)


def qr_image(data: str, module: int = 6, ec: str = "M") -> Image.Image:
    """QR code drawn by the qrcode library (what a printer draws for ``GS ( k``)."""
    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    code = qrcode.QRCode(error_correction=levels[ec], box_size=module, border=1)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    image: Image.Image = code.make_image().get_image()
    return image.convert("1")


def ticket_image(
    blocks: Sequence[Block],
    width: int,
    qr_module: int = 6,
    qr_ec: str = "M",
    logo: Image.Image | None = None,
) -> Image.Image:
    """The whole ticket as one 1-bit image, ``width`` dots wide (the full raster ticket)."""
    parts: list[Image.Image] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            parts.append(
                text_lines_image(
                    block.text,
                    width,
                    STYLE_SIZE[block.style],
                    STYLE_BOLD[block.style],
                    invert=block.style == "mark",
                    align=block.align,
                    crop=False,
                )
            )
        elif isinstance(block, NumberBlock):
            parts.append(number_image(block.text, width))
        elif isinstance(block, QrBlock):
            parts.append(qr_image(block.data, qr_module, qr_ec))
        elif isinstance(block, LogoBlock) and logo is not None:
            parts.append(logo.convert("1"))
        elif isinstance(block, SpaceBlock):
            parts.append(Image.new("1", (8, 16 * block.lines), 1))
    total = sum(p.height for p in parts) + 8 * len(parts)
    canvas = Image.new("1", (width, total), 1)
    y = 0
    for part in parts:
        canvas.paste(part, ((width - part.width) // 2, y))
        y += part.height + 8
    return canvas


def gs_v0(image: Image.Image, band_rows: int = BAND_ROWS) -> bytes:
    """``GS v 0`` raster bit image commands, one per band of ``band_rows`` rows.

    python-escpos's ``image()`` does the same but prints a warning to stdout when the
    profile has no media width and cannot band below its 960-row default usefully here.
    """
    bw = image.convert("1")
    width_bytes = (bw.width + 7) // 8
    if bw.width % 8:
        padded = Image.new("1", (width_bytes * 8, bw.height), 1)
        padded.paste(bw, (0, 0))
        bw = padded
    # In mode "1" a set bit is white; printers want 1 = ink.
    data = bytes(b ^ 0xFF for b in bw.tobytes())
    out = bytearray()
    for top in range(0, bw.height, band_rows):
        rows = min(band_rows, bw.height - top)
        out += b"\x1dv0\x00" + width_bytes.to_bytes(2, "little") + rows.to_bytes(2, "little")
        out += data[top * width_bytes : (top + rows) * width_bytes]
    return bytes(out)


def raster_to_image(width_bytes: int, rows: int, data: bytes) -> Image.Image:
    """Inverse of :func:`gs_v0` for one band (1 = ink)."""
    inverted = bytes(b ^ 0xFF for b in data[: width_bytes * rows])
    return Image.frombytes("1", (width_bytes * 8, rows), inverted)
