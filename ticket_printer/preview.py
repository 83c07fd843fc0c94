"""Draw a decoded job as the paper would look: the virtual printer's and ``render``'s PNG.

Printer text is laid out like Font A: fixed 12×24-dot cells, scaled by ``GS !``, wrapped
at the paper width. Glyphs come from the shipped DejaVu Sans, QR codes are
drawn with the qrcode library, raster images are pasted as received.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PIL import Image, ImageDraw

from . import raster
from .escpos.decoded import (
    LINE_DOTS,
    Cut,
    DecodedJob,
    Feed,
    NvLogo,
    QrCode,
    RasterImage,
    TextLine,
)

MARGIN = 24
CELL_W, CELL_H = 12, 24
FONT_B_W, FONT_B_H = 9, 17
GLYPH_PX = 21  # DejaVu Sans size for a 24-dot cell
LINE_GAP = 6  # default line spacing minus the 24-dot cell


def _char_image(
    char: str, width: int, height: int, bold: bool, invert: bool, underline: bool, font_b: bool
) -> Image.Image:
    """One printer character cell (plus the line gap above it), scaled by ``GS !``.

    DejaVu Sans glyphs are centred in the fixed cell and squeezed when wider (m, W, Ô),
    like a printer's bitmap font. (DejaVu Sans Mono would fit the cell but draws the tone
    of ố, ể… beside the circumflex instead of on it.)
    """
    cw, ch = (FONT_B_W, FONT_B_H) if font_b else (CELL_W, CELL_H)
    cell_w = cw * width
    cell_h = (ch + LINE_GAP) * height
    f = raster.font(round(GLYPH_PX * height * ch / CELL_H), bold)
    baseline = round(height * (LINE_GAP + ch * 0.78))
    ink, paper = (255, 0) if invert else (0, 255)
    left, _, right, _ = f.getbbox(char, anchor="ls") if char.strip() else (0, 0, 1, 0)
    glyph_w = max(1, int(right - min(0, left)), round(f.getlength(char)))
    glyph = Image.new("L", (glyph_w, cell_h), paper)
    ImageDraw.Draw(glyph).text((-min(0, left), baseline), char, font=f, anchor="ls", fill=ink)
    stretch_w = round(glyph_w * width / height)
    if stretch_w > cell_w:
        glyph = glyph.resize((cell_w, cell_h), Image.Resampling.LANCZOS)
    elif stretch_w != glyph_w:
        glyph = glyph.resize((stretch_w, cell_h), Image.Resampling.LANCZOS)
    cell = Image.new("L", (cell_w, cell_h), paper)
    cell.paste(glyph, ((cell_w - glyph.width) // 2, 0))
    if underline:
        ImageDraw.Draw(cell).line(
            [(0, cell_h - 2), (cell_w, cell_h - 2)], fill=ink, width=max(1, height)
        )
    return cell


def _line_rows(line: TextLine, width_dots: int) -> list[list[Image.Image]]:
    """Character cells grouped into printed rows (the printer wraps at the paper edge)."""
    rows: list[list[Image.Image]] = [[]]
    used = 0
    for span in line.spans:
        for char in span.text:
            cell = _char_image(
                char,
                span.width,
                span.height,
                span.bold,
                span.invert,
                span.underline,
                span.font == 1,
            )
            if used + cell.width > width_dots and rows[-1]:
                rows.append([])
                used = 0
            rows[-1].append(cell)
            used += cell.width
    return rows


def _aligned_x(align: str, item_w: int, width_dots: int) -> int:
    if align == "center":
        return max(0, (width_dots - item_w) // 2)
    if align == "right":
        return max(0, width_dots - item_w)
    return 0


def render_job(
    job: DecodedJob, width_dots: int = 576, nv_store: Mapping[str, Image.Image] | None = None
) -> Image.Image:
    """The job as a greyscale paper image (``width_dots`` printable plus margins)."""
    parts: list[tuple[Image.Image, int]] = []  # (image, x inside the printable area)
    nv_store = dict(nv_store or {})
    nv_store.update(job.nv_definitions)
    for block in job.blocks:
        if isinstance(block, TextLine):
            parts += _text_rows(block, width_dots)
        elif isinstance(block, QrCode):
            qr = raster.qr_image(block.data, max(1, block.module), block.ec).convert("L")
            parts.append((qr, _aligned_x(block.align, qr.width, width_dots)))
        elif isinstance(block, RasterImage):
            img = block.image.convert("L")
            parts.append((img, _aligned_x(block.align, img.width, width_dots)))
        elif isinstance(block, NvLogo):
            img = _nv_logo(block, nv_store)
            parts.append((img, _aligned_x(block.align, img.width, width_dots)))
        elif isinstance(block, Feed):
            parts.append((Image.new("L", (1, max(1, block.dots)), 255), 0))
        elif isinstance(block, Cut):
            parts.append((Image.new("L", (1, 24 + block.feed), 255), 0))
            parts.append((_cut_mark(width_dots + 2 * MARGIN, block.kind), -MARGIN))
    height = sum(p.height for p, _ in parts) + 2 * MARGIN
    paper = Image.new("L", (width_dots + 2 * MARGIN, max(height, 2 * MARGIN)), 255)
    y = MARGIN
    for img, x in parts:
        paper.paste(img, (MARGIN + x, y))
        y += img.height
    return paper


def _text_rows(line: TextLine, width_dots: int) -> list[tuple[Image.Image, int]]:
    """A text line as rows of character cells, wrapped at the paper width, each with its x."""
    if not line.spans:
        return [(Image.new("L", (1, LINE_DOTS), 255), 0)]
    rows: list[tuple[Image.Image, int]] = []
    for cells in _line_rows(line, width_dots):
        row_w = sum(c.width for c in cells)
        row_h = max(c.height for c in cells)
        row = Image.new("L", (max(1, row_w), max(LINE_DOTS, row_h)), 255)
        x = 0
        for c in cells:
            row.paste(c, (x, row_h - c.height))
            x += c.width
        rows.append((row, _aligned_x(line.align, row_w, width_dots)))
    return rows


def _nv_logo(block: NvLogo, nv_store: Mapping[str, Image.Image]) -> Image.Image:
    """The stored NV graphic, scaled; a labelled box when this printer never stored it."""
    logo = nv_store.get(block.key)
    if logo is not None:
        sx, sy = block.scale
        return logo.convert("L").resize((logo.width * sx, logo.height * sy))
    img = Image.new("L", (240, 60), 255)
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, 239, 59], outline=0)
    d.text(
        (120, 30),
        f"logo NV '{block.key}' (chưa lưu)",
        anchor="mm",
        font=raster.font(16),
        fill=0,
    )
    return img


def _cut_mark(width: int, kind: str) -> Image.Image:
    img = Image.new("L", (width, 9), 255)
    d = ImageDraw.Draw(img)
    dash = 12 if kind == "full" else 6
    for x in range(0, width, dash * 2):
        d.line([(x, 4), (x + dash, 4)], fill=96, width=2)
    return img


def save_job_png(
    job: DecodedJob,
    path: str | Path,
    width_dots: int = 576,
    nv_store: Mapping[str, Image.Image] | None = None,
) -> Path:
    """Render and save; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    render_job(job, width_dots, nv_store).save(path, optimize=True)
    return path
