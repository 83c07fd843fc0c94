"""What a printer did with one job: text lines with their style, QR codes, images, cuts.

The result model of the decoder (``decoder.py``), kept apart so the preview and the tests
can read a :class:`DecodedJob` without the interpreter that builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

#: Height of one Font A line with the default line spacing, in dots.
LINE_DOTS = 30


@dataclass
class Span:
    text: str
    width: int = 1
    height: int = 1
    bold: bool = False
    underline: bool = False
    invert: bool = False
    font: int = 0


@dataclass
class TextLine:
    spans: list[Span]
    align: str = "left"

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)

    @property
    def height(self) -> int:
        return max((s.height for s in self.spans), default=1)


@dataclass
class QrCode:
    data: str
    module: int = 3
    ec: str = "L"
    align: str = "left"


@dataclass
class RasterImage:
    image: Image.Image
    align: str = "left"


@dataclass
class NvLogo:
    key: str
    scale: tuple[int, int] = (1, 1)
    align: str = "left"


@dataclass
class Feed:
    dots: int


@dataclass
class Cut:
    kind: Literal["full", "partial"]
    feed: int = 0


DecodedBlock = TextLine | QrCode | RasterImage | NvLogo | Feed | Cut


@dataclass
class DecodedJob:
    """What the printer did with one job."""

    blocks: list[DecodedBlock] = field(default_factory=list)
    #: Every ``ESC t`` value, in order.
    codepages: list[int] = field(default_factory=list)
    inits: int = 0
    kanji_off: bool = False
    status_queries: list[int] = field(default_factory=list)
    #: NV graphics defined in this job (key → 1-bit image).
    nv_definitions: dict[str, Image.Image] = field(default_factory=dict)
    unknown: list[tuple[int, ...]] = field(default_factory=list)
    #: Whether a byte was printed with a page the decoder does not know.
    unknown_pages: set[int] = field(default_factory=set)

    @property
    def lines(self) -> list[TextLine]:
        return [b for b in self.blocks if isinstance(b, TextLine)]

    @property
    def text_lines(self) -> list[str]:
        return [line.text for line in self.lines]

    @property
    def text(self) -> str:
        return "\n".join(self.text_lines)

    @property
    def qr_codes(self) -> list[str]:
        return [b.data for b in self.blocks if isinstance(b, QrCode)]

    @property
    def images(self) -> list[RasterImage]:
        return [b for b in self.blocks if isinstance(b, RasterImage)]

    @property
    def cuts(self) -> list[Cut]:
        return [b for b in self.blocks if isinstance(b, Cut)]

    @property
    def printable(self) -> bool:
        """Whether anything at all reaches the paper."""
        return any(not isinstance(b, Feed) for b in self.blocks)

    def describe(self) -> str:
        """Plain-text transcript: text lines, and markers for everything else."""
        out = []
        for b in self.blocks:
            if isinstance(b, TextLine):
                size = max(((s.width, s.height) for s in b.spans), default=(1, 1))
                mark = f"  [x{size[0]}x{size[1]}]" if size != (1, 1) else ""
                out.append(b.text + mark)
            elif isinstance(b, QrCode):
                out.append(f"[QR: {b.data}]")
            elif isinstance(b, RasterImage):
                out.append(f"[ảnh raster {b.image.width}×{b.image.height}]")
            elif isinstance(b, NvLogo):
                out.append(f"[logo NV '{b.key}']")
            elif isinstance(b, Cut):
                out.append("[cắt giấy / cut]")
        return "\n".join(out)
