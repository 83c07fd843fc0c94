"""ESC/POS commands → what a printer would print, with the printer's state.

Shared by the tests (round trips, byte budgets, allowed ``ESC t`` values) and by the
virtual printer, which renders decoded jobs to PNG. It interprets the commands of
``tokens.py`` with the state a printer keeps (code page, size, bold, alignment, QR
settings) into :class:`~ticket_printer.escpos.decoded.DecodedJob` blocks: one handler
per command kind, in the :data:`_HANDLERS` table.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..encoding import PageDecoder, page_decoders
from ..profile import PrinterProfile
from ..raster import raster_to_image
from .decoded import LINE_DOTS, Cut, DecodedJob, Feed, NvLogo, QrCode, RasterImage, Span, TextLine
from .tokens import Token, tokens

_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
_QR_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}


@dataclass
class _State:
    page: int = 0
    width: int = 1
    height: int = 1
    bold: bool = False
    underline: bool = False
    invert: bool = False
    font: int = 0
    align: str = "left"
    qr_module: int = 3
    qr_ec: str = "L"
    qr_data: bytes = b""


class Decoder:
    """Interprets a byte stream with a printer's state; one instance per printer."""

    def __init__(self, pages: Mapping[int, PageDecoder] | None = None) -> None:
        self.pages = dict(pages) if pages is not None else page_decoders()
        self.state = _State()

    def decode(self, data: bytes) -> DecodedJob:
        run = _Run(self)
        for t in tokens(data):
            handler = _HANDLERS.get(t.kind)
            if handler is not None:
                handler(run, t)
        run.end_line(False)
        return run.job


class _Run:
    """One :meth:`Decoder.decode` call: the job being built and the line in progress.

    Text arrives as raw byte runs, each with a copy of the style it was sent in; they
    become spans (decoded with their code page) when the line ends or the page changes.
    """

    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        self.job = DecodedJob()
        self.spans: list[Span] = []
        self.line_align: list[str] = []
        self.raw_run: list[tuple[bytes, _State]] = []

    @property
    def state(self) -> _State:
        return self.decoder.state

    @property
    def pending(self) -> bool:
        """Whether the current line has any text yet."""
        return bool(self.spans or self.raw_run)

    def add_text(self, payload: bytes) -> None:
        if not self.spans and not self.raw_run:
            self.line_align[:] = [self.state.align]
        self.raw_run.append((payload, _copy(self.state)))

    def flush_runs(self) -> None:
        for payload, st in self.raw_run:
            page = self.decoder.pages.get(st.page)
            if page is None:
                if any(b >= 0x80 for b in payload):
                    self.job.unknown_pages.add(st.page)
                text = "".join(chr(b) if b < 0x80 else "\ufffd" for b in payload)
            else:
                text = page.decode(payload)
            span = Span(text, st.width, st.height, st.bold, st.underline, st.invert, st.font)
            if self.spans and _same_style(self.spans[-1], span):
                self.spans[-1].text += text
            else:
                self.spans.append(span)
        self.raw_run.clear()

    def end_line(self, force: bool) -> None:
        self.flush_runs()
        if self.spans or force:
            for s in self.spans:
                s.text = unicodedata.normalize("NFC", s.text)
            align = self.line_align[0] if self.line_align else self.state.align
            self.job.blocks.append(TextLine(list(self.spans), align))
        self.spans.clear()
        self.line_align.clear()

    def reset(self) -> None:
        """``ESC @``: the line in progress is dropped and the state is the power-on one."""
        self.spans.clear()
        self.raw_run.clear()
        self.line_align.clear()
        self.decoder.state = _State()
        self.job.inits += 1


# ----------------------------------------------------------------- command handlers
def _text(run: _Run, t: Token) -> None:
    run.add_text(t.payload)


def _tab(run: _Run, t: Token) -> None:
    run.add_text(b"    ")


def _line_feed(run: _Run, t: Token) -> None:
    run.end_line(True)


def _init(run: _Run, t: Token) -> None:
    run.reset()


def _code_page(run: _Run, t: Token) -> None:
    run.flush_runs()
    run.state.page = t.args[0]
    run.job.codepages.append(t.args[0])


def _align(run: _Run, t: Token) -> None:
    run.state.align = _ALIGN.get(t.args[0], run.state.align)


def _bold(run: _Run, t: Token) -> None:
    run.state.bold = bool(t.args[0] & 1)


def _underline(run: _Run, t: Token) -> None:
    run.state.underline = bool(t.args[0] & 3)


def _font(run: _Run, t: Token) -> None:
    run.state.font = t.args[0] & 1


def _print_mode(run: _Run, t: Token) -> None:
    """``ESC !``: font, bold, double height and width, underline in one byte."""
    st, n = run.state, t.args[0]
    st.font, st.bold = n & 1, bool(n & 8)
    st.height, st.width = (2 if n & 16 else 1), (2 if n & 32 else 1)
    st.underline = bool(n & 128)


def _char_size(run: _Run, t: Token) -> None:
    n = t.args[0]
    run.state.width, run.state.height = (n >> 4) + 1, (n & 7) + 1


def _reverse(run: _Run, t: Token) -> None:
    run.state.invert = bool(t.args[0] & 1)


def _feed_lines(run: _Run, t: Token) -> None:
    had = run.pending
    run.end_line(False)
    blank = t.args[0] - (1 if had else 0)
    if blank > 0:
        run.job.blocks.append(Feed(blank * LINE_DOTS))


def _feed_dots(run: _Run, t: Token) -> None:
    run.end_line(False)
    run.job.blocks.append(Feed(t.args[0]))


def _cut(run: _Run, t: Token) -> None:
    run.end_line(False)
    m = t.args[0]
    feed = t.args[1] if len(t.args) > 1 else 0
    run.job.blocks.append(Cut("full" if m in (0, 48, 65, 97, 103) else "partial", feed))


def _raster(run: _Run, t: Token) -> None:
    run.end_line(False)
    _, xb, rows = t.args
    run.job.blocks.append(RasterImage(raster_to_image(xb, rows, t.payload), run.state.align))


def _qr(run: _Run, t: Token) -> None:
    """``GS ( k`` with cn = 49: QR code module size, error correction, data, print."""
    p = t.payload
    if len(p) < 2 or p[0] != 49:
        return
    st, fn = run.state, p[1]
    if fn == 67 and len(p) >= 3:
        st.qr_module = p[2]
    elif fn == 69 and len(p) >= 3:
        st.qr_ec = _QR_EC.get(p[2], st.qr_ec)
    elif fn == 80:
        st.qr_data = p[3:]
    elif fn == 81:
        run.end_line(False)
        data = st.qr_data.decode("utf-8", errors="replace")
        run.job.blocks.append(QrCode(data, st.qr_module, st.qr_ec, st.align))


def _graphics(run: _Run, t: Token) -> None:
    """``GS ( L`` with m = 48: print (fn 69) or define (fn 67) an NV graphic."""
    p = t.payload
    if len(p) < 2 or p[0] != 48:
        return
    fn = p[1]
    if fn == 69 and len(p) >= 6:  # print NV graphics
        run.end_line(False)
        key = p[2:4].decode("ascii", errors="replace")
        run.job.blocks.append(NvLogo(key, (p[4] or 1, p[5] or 1), run.state.align))
    elif fn == 67 and len(p) >= 11:  # define NV graphics, raster, one colour
        key = p[3:5].decode("ascii", errors="replace")
        width = p[6] + p[7] * 256
        height = p[8] + p[9] * 256
        xb = (width + 7) // 8
        image = raster_to_image(xb, height, p[11 : 11 + xb * height]).crop((0, 0, width, height))
        run.job.nv_definitions[key] = image


def _kanji_off(run: _Run, t: Token) -> None:
    run.job.kanji_off = True


def _status_query(run: _Run, t: Token) -> None:
    run.job.status_queries.append(t.args[0])


def _unknown(run: _Run, t: Token) -> None:
    run.job.unknown.append(t.args)


#: Token kind → what it does to the printer state and the job; other kinds are ignored.
_HANDLERS: dict[str, Callable[[_Run, Token], None]] = {
    "text": _text,
    "ht": _tab,
    "lf": _line_feed,
    "esc_@": _init,
    "esc_t": _code_page,
    "esc_a": _align,
    "esc_E": _bold,
    "esc_G": _bold,
    "esc_-": _underline,
    "esc_M": _font,
    "esc_!": _print_mode,
    "gs_!": _char_size,
    "gs_B": _reverse,
    "esc_d": _feed_lines,
    "esc_J": _feed_dots,
    "cut": _cut,
    "raster": _raster,
    "gs_(k": _qr,
    "gs_(L": _graphics,
    "fs_.": _kanji_off,
    "dle_eot": _status_query,
    "unknown": _unknown,
}


def _copy(st: _State) -> _State:
    return _State(**vars(st))


def _same_style(a: Span, b: Span) -> bool:
    return (a.width, a.height, a.bold, a.underline, a.invert, a.font) == (
        b.width,
        b.height,
        b.bold,
        b.underline,
        b.invert,
        b.font,
    )


def decode(data: bytes, pages: Mapping[int, PageDecoder] | None = None) -> DecodedJob:
    """Decode one job with a fresh printer state."""
    return Decoder(pages).decode(data)


def decode_for_profile(data: bytes, profile: PrinterProfile) -> DecodedJob:
    """Decode with the code pages configured in a :class:`~ticket_printer.PrinterProfile`."""
    return decode(data, page_decoders(profile.tcvn_pages, profile.cp1258_page))
