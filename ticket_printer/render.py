"""Ticket → ESC/POS bytes, built entirely in memory and sent in one write.

python-escpos is used where it does the job right: the capability profile, ``Dummy`` as
the in-memory buffer, native QR (``GS ( k``), style and alignment commands. This module
owns what it gets wrong for Vietnamese: text encoding (no magic code-page hops), re-sending
the code page after every ``ESC @`` (python-escpos keeps its cached page), ``FS .`` for
Chinese firmware, NV logo printing/definition (not in python-escpos), feed-and-cut in one
``GS V 65/66 n`` command (``cut()`` sends six line feeds first) and raster bands.
"""

from __future__ import annotations

from escpos.printer import Dummy
from PIL import Image

from . import raster
from .encoding import TextEncoder, make_encoder
from .layout import (
    Block,
    LogoBlock,
    NumberBlock,
    QrBlock,
    SpaceBlock,
    TextBlock,
    Ticket,
    ticket_blocks,
    vietnamese_test_page_blocks,
)
from .profile import FONT_A_WIDTH, PrinterProfile

ESC = b"\x1b"
GS = b"\x1d"
INIT = ESC + b"@"
KANJI_OFF = b"\x1c."  # FS .
QR_EC = {"L": 0, "M": 1, "Q": 2, "H": 3}


def nv_print(key: str, scale_x: int = 1, scale_y: int = 1) -> bytes:
    """``GS ( L`` fn 69: print the NV graphic stored under ``key`` (11 bytes)."""
    return GS + b"(L\x06\x00\x30\x45" + key.encode("ascii") + bytes([scale_x, scale_y])


def nv_define(image: Image.Image, key: str) -> bytes:
    """``GS ( L`` / ``GS 8 L`` fn 67: store a 1-bit raster graphic in NV memory.

    NV memory survives power-off but tolerates only about ten writes a day: send this
    at installation or when the logo changes, never per ticket.
    """
    bw = image.convert("1")
    width, height = bw.size
    width_bytes = (width + 7) // 8
    if width % 8:
        padded = Image.new("1", (width_bytes * 8, height), 1)
        padded.paste(bw, (0, 0))
        bw = padded
    data = bytes(b ^ 0xFF for b in bw.tobytes())
    body = (
        b"\x30\x43\x30"
        + key.encode("ascii")
        + b"\x01"
        + width.to_bytes(2, "little")
        + height.to_bytes(2, "little")
        + b"\x31"
        + data
    )
    if len(body) <= 0xFFFF:
        return GS + b"(L" + len(body).to_bytes(2, "little") + body
    return GS + b"8L" + len(body).to_bytes(4, "little") + body


class TicketBuilder:
    """Accumulates commands for one job in a python-escpos ``Dummy``."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self.columns = profile.columns
        self.width = profile.dots
        self._p = Dummy(profile=profile.escpos_profile)
        self.encoder: TextEncoder | None = make_encoder(
            profile.mode, profile.tcvn_pages, profile.cp1258_page
        )
        self._align = ""
        self._size = (1, 1)
        self._bold = False
        self._invert = False

    # -- primitives
    def raw(self, data: bytes) -> None:
        self._p._raw(data)

    def init(self) -> None:
        """``ESC @`` then everything init forgets: Kanji mode off, the code page."""
        self.raw(INIT)
        self._align, self._size, self._bold, self._invert = "left", (1, 1), False, False
        if self.profile.chinese_firmware:
            self.raw(KANJI_OFF)
        if self.encoder is not None:
            self.raw(self.encoder.select_initial())

    def align(self, where: str) -> None:
        if where != self._align:
            self._p.set(align=where)
            self._align = where

    def size(self, width: int = 1, height: int = 1) -> None:
        if (width, height) != self._size:
            self._p.set(custom_size=True, width=width, height=height)
            self._size = (width, height)

    def bold(self, on: bool) -> None:
        if on != self._bold:
            self._p.set(bold=on)
            self._bold = on

    def invert(self, on: bool) -> None:
        if on != self._invert:
            self._p.set(invert=on)
            self._invert = on

    def line(self, text: str) -> None:
        """One line of text (already wrapped), then LF."""
        if self.encoder is None:
            self.raw(text.encode("ascii", errors="replace") + b"\n")
        else:
            self.raw(self.encoder.encode(text) + b"\n")

    def feed(self, lines: int) -> None:
        """Blank lines: bare LFs are cheaper than ``ESC d n`` up to three lines."""
        if 0 < lines <= 3:
            self.raw(b"\n" * lines)
        elif lines > 3:
            self.raw(ESC + b"d" + bytes([min(lines, 255)]))

    def qr(self, data: str) -> None:
        self._p.qr(
            data,
            native=True,
            size=self.profile.qr_module_size,
            ec=QR_EC[self.profile.qr_error_correction],
        )

    def image(self, image: Image.Image) -> None:
        self.raw(raster.gs_v0(image))

    def logo(self) -> None:
        self.raw(nv_print(self.profile.logo_key))

    def cut(self) -> None:
        """Feed to the cutter and cut in one command (``GS V 65/66 n``)."""
        kind = self.profile.cut
        if kind == "none":
            self.feed(4)
            return
        self.raw(GS + b"V" + (b"A" if kind == "full" else b"B") + bytes([self.profile.cut_feed]))

    def output(self) -> bytes:
        data: bytes = self._p.output  # python-escpos has no type information
        return data

    # -- blocks
    def text_block(self, block: TextBlock) -> None:
        self.align(block.align)
        needs_raster = self.encoder is None and not block.text.isascii()
        if needs_raster:
            self.image(
                raster.text_lines_image(
                    block.text,
                    self.width,
                    raster.STYLE_SIZE[block.style],
                    raster.STYLE_BOLD[block.style],
                    invert=block.style == "mark",
                    align=block.align,
                )
            )
            return
        pad = 1 if block.style == "mark" else 0
        self.size(1, 2 if block.style == "heading" else 1)
        self.bold(block.style in ("title", "heading", "mark"))
        self.invert(block.style == "mark")
        for line in raster.wrap(block.text, lambda s: len(s) + 2 * pad <= self.columns):
            self.line(" " * pad + line + " " * pad)

    def number_block(self, block: NumberBlock) -> None:
        """Character scaling ``GS ! n``: up to 8×, as wide as the paper allows."""
        self.align("center")
        scale = max(1, min(8, self.width // (FONT_A_WIDTH * len(block.text))))
        self.bold(False)
        self.invert(False)
        self.size(scale, scale)
        self.line(block.text)

    def qr_block(self, block: QrBlock) -> None:
        self.size(1, 1)
        self.align("center")  # native QR with center=True raises: align first
        self.qr(block.data)

    def blocks(self, blocks: list[Block]) -> None:
        for block in blocks:
            if isinstance(block, TextBlock):
                self.text_block(block)
            elif isinstance(block, NumberBlock):
                self.number_block(block)
            elif isinstance(block, QrBlock):
                self.qr_block(block)
            elif isinstance(block, LogoBlock):
                self.align("center")
                self.logo()
            elif isinstance(block, SpaceBlock):
                self.feed(block.lines)


def _content(builder: TicketBuilder, blocks: list[Block]) -> None:
    profile = builder.profile
    if profile.mode == "raster" and profile.raster_scope == "full":
        printed = [b for b in blocks if not isinstance(b, LogoBlock)]
        if len(printed) != len(blocks):
            builder.align("center")
            builder.logo()
        builder.align("center")
        builder.image(
            raster.ticket_image(
                printed, profile.dots, profile.qr_module_size, profile.qr_error_correction
            )
        )
    else:
        builder.blocks(blocks)


def render_blocks(blocks: list[Block], profile: PrinterProfile) -> bytes:
    """Any block list as one complete job: init, content, feed and cut."""
    builder = TicketBuilder(profile)
    builder.init()
    _content(builder, blocks)
    builder.cut()
    return builder.output()


def render_ticket(ticket: Ticket, profile: PrinterProfile) -> bytes:
    """The exact bytes the printer receives for ``ticket`` (no logo definition)."""
    return render_blocks(ticket_blocks(ticket), profile)


def render_test_page(profile: PrinterProfile, probe_pages: tuple[int, ...] = ()) -> bytes:
    """Every Vietnamese letter, both cases, every tone, in the profile's mode.

    ``probe_pages``: then print bytes 0xA0–0xFF under each of these ``ESC t`` pages, to
    find a clone's Vietnamese page (compare with the TCVN-3 table in docs/printing.md).
    """
    if profile.mode == "tcvn3":
        pages = f"ESC t {profile.tcvn_pages[0]}/{profile.tcvn_pages[1]}"
    elif profile.mode == "cp1258":
        pages = f"ESC t {profile.cp1258_page}"
    else:
        pages = "raster"
    description = f"{profile.escpos_profile} {profile.paper_mm}mm mode={profile.mode} {pages}" + (
        " FS ." if profile.chinese_firmware else ""
    )
    builder = TicketBuilder(profile)
    builder.init()
    _content(builder, vietnamese_test_page_blocks(description))
    if probe_pages:
        builder.size(1, 1)
        builder.bold(False)
        builder.align("left")
        for page in probe_pages:
            builder.raw(f"\nESC t {page}:\n".encode("ascii") + b"\x1bt" + bytes([page]))
            for first in range(0xA0, 0x100, 16):
                builder.raw(
                    f"{first:02X} ".encode("ascii") + bytes(range(first, first + 16)) + b"\n"
                )
        builder.raw(builder.encoder.select_initial() if builder.encoder else b"\x1bt\x00")
    builder.cut()
    return builder.output()


def render_logo_definition(image: Image.Image, profile: PrinterProfile) -> bytes:
    """Bytes that store ``image`` (scaled to the paper) as the NV logo."""
    image = prepare_logo(image, profile.dots)
    return INIT + nv_define(image, profile.logo_key)


def prepare_logo(image: Image.Image, max_width: int, max_height: int = 240) -> Image.Image:
    """Scale down to fit and convert to 1-bit (dithered: logos may have shades)."""
    image = image.convert("RGBA")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.split()[3])
    scale = min(1.0, max_width / flat.width, max_height / flat.height)
    if scale < 1.0:
        flat = flat.resize((max(1, int(flat.width * scale)), max(1, int(flat.height * scale))))
    return flat.convert("L").convert("1")
