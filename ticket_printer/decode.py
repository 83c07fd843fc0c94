"""ESC/POS bytes → what a printer would print (text lines, sizes, QR, images, cut).

Shared by the tests (round trips, byte budgets, allowed ``ESC t`` values) and by the
virtual printer, which renders decoded jobs to PNG. Two layers:

* :func:`next_token` splits the stream into commands. Command lengths never depend on
  printer state, so a stream can be tokenised incrementally (:class:`JobSplitter`).
* :func:`decode` interprets tokens with the printer's state (code page, size, bold,
  alignment) into :class:`DecodedJob` blocks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

from .encoding import PageDecoder, page_decoders
from .raster import raster_to_image

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10


class Incomplete(Exception):
    """The buffer ends in the middle of a command."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    start: int
    end: int
    args: tuple[int, ...] = ()
    payload: bytes = b""

    @property
    def size(self) -> int:
        return self.end - self.start


# ESC <c> commands by number of parameter bytes.
_ESC_PARAMS = {
    **dict.fromkeys(b"@<2ijlLSm", 0),
    **dict.fromkeys(b"!-EGMRtadJ3 {VrUe%KTu?=", 1),
    **dict.fromkeys(b"$\\Bf", 2),
    **dict.fromkeys(b"p", 3),
    **dict.fromkeys(b"W", 8),
}
_GS_PARAMS = {
    **dict.fromkeys(b"!BHhwfbarIEZTj/", 1),
    **dict.fromkeys(b"$LWP\\", 2),
    **dict.fromkeys(b"^", 3),
    **dict.fromkeys(b":", 0),
}
_FS_PARAMS = {
    **dict.fromkeys(b".&", 0),
    **dict.fromkeys(b"!-CW", 1),
    **dict.fromkeys(b"Sp", 2),
}


def _need(buf: bytes, end: int) -> None:
    if end > len(buf):
        raise Incomplete


def next_token(buf: bytes, i: int) -> Token:
    """The command starting at ``buf[i]``; raises :class:`Incomplete` if it is cut off."""
    b = buf[i]
    if b >= 0x20:
        j = i
        n = len(buf)
        while j < n and buf[j] >= 0x20:
            j += 1
        return Token("text", i, j, payload=buf[i:j])
    if b == 0x0A:
        return Token("lf", i, i + 1)
    if b in (0x00, 0x0D, 0x0C, 0x18):
        return Token("ignore", i, i + 1)
    if b == 0x09:
        return Token("ht", i, i + 1)
    if b == ESC:
        return _esc(buf, i)
    if b == GS:
        return _gs(buf, i)
    if b == FS:
        return _fs(buf, i)
    if b == DLE:
        return _dle(buf, i)
    return Token("unknown", i, i + 1, (b,))


def _esc(buf: bytes, i: int) -> Token:
    _need(buf, i + 2)
    c = buf[i + 1]
    if c == ord("*"):
        _need(buf, i + 5)
        m, nl, nh = buf[i + 2], buf[i + 3], buf[i + 4]
        k = (nl + nh * 256) * (3 if m in (32, 33) else 1)
        _need(buf, i + 5 + k)
        return Token("esc_bitimage", i, i + 5 + k, (m,))
    if c == ord("D"):  # tab stops, NUL terminated
        j = buf.find(b"\x00", i + 2)
        if j < 0:
            raise Incomplete
        return Token("esc_D", i, j + 1)
    if c == ord("&"):  # user-defined characters
        _need(buf, i + 5)
        y, c1, c2 = buf[i + 2], buf[i + 3], buf[i + 4]
        j = i + 5
        for _ in range(max(0, c2 - c1 + 1)):
            _need(buf, j + 1)
            j += 1 + buf[j] * y
        _need(buf, j)
        return Token("esc_&", i, j)
    if c == ord("("):
        _need(buf, i + 5)
        length = buf[i + 3] + buf[i + 4] * 256
        _need(buf, i + 5 + length)
        return Token("esc_(", i, i + 5 + length, payload=buf[i + 5 : i + 5 + length])
    if c == ord("c"):
        _need(buf, i + 4)
        return Token("esc_c", i, i + 4)
    params = _ESC_PARAMS.get(c)
    if params is None:
        return Token("unknown", i, i + 2, (ESC, c))
    _need(buf, i + 2 + params)
    return Token("esc_" + chr(c), i, i + 2 + params, tuple(buf[i + 2 : i + 2 + params]))


def _gs(buf: bytes, i: int) -> Token:
    _need(buf, i + 2)
    c = buf[i + 1]
    if c == ord("V"):
        _need(buf, i + 3)
        m = buf[i + 2]
        if m in (65, 66, 97, 98, 103, 104):
            _need(buf, i + 4)
            return Token("cut", i, i + 4, (m, buf[i + 3]))
        return Token("cut", i, i + 3, (m,))
    if c == ord("v"):
        _need(buf, i + 8)
        m = buf[i + 3]
        xb = buf[i + 4] + buf[i + 5] * 256
        rows = buf[i + 6] + buf[i + 7] * 256
        end = i + 8 + xb * rows
        _need(buf, end)
        return Token("raster", i, end, (m, xb, rows), buf[i + 8 : end])
    if c == ord("("):
        _need(buf, i + 5)
        length = buf[i + 3] + buf[i + 4] * 256
        end = i + 5 + length
        _need(buf, end)
        return Token("gs_(" + chr(buf[i + 2]), i, end, payload=buf[i + 5 : end])
    if c == ord("8"):
        _need(buf, i + 7)
        length = int.from_bytes(buf[i + 3 : i + 7], "little")
        end = i + 7 + length
        _need(buf, end)
        return Token("gs_(" + chr(buf[i + 2]), i, end, payload=buf[i + 7 : end])
    if c == ord("*"):
        _need(buf, i + 4)
        end = i + 4 + buf[i + 2] * buf[i + 3] * 8
        _need(buf, end)
        return Token("gs_*", i, end)
    if c == ord("k"):
        _need(buf, i + 3)
        m = buf[i + 2]
        if m <= 6:
            j = buf.find(b"\x00", i + 3)
            if j < 0:
                raise Incomplete
            return Token("barcode", i, j + 1, (m,), buf[i + 3 : j])
        _need(buf, i + 4)
        end = i + 4 + buf[i + 3]
        _need(buf, end)
        return Token("barcode", i, end, (m,), buf[i + 4 : end])
    params = _GS_PARAMS.get(c)
    if params is None:
        return Token("unknown", i, i + 2, (GS, c))
    _need(buf, i + 2 + params)
    return Token("gs_" + chr(c), i, i + 2 + params, tuple(buf[i + 2 : i + 2 + params]))


def _fs(buf: bytes, i: int) -> Token:
    _need(buf, i + 2)
    c = buf[i + 1]
    if c == ord("q"):  # define NV bit images (obsolete logo command)
        _need(buf, i + 3)
        j = i + 3
        for _ in range(buf[i + 2]):
            _need(buf, j + 4)
            j += 4 + (buf[j] + buf[j + 1] * 256) * (buf[j + 2] + buf[j + 3] * 256) * 8
        _need(buf, j)
        return Token("fs_q", i, j)
    if c == ord("("):
        _need(buf, i + 5)
        end = i + 5 + buf[i + 3] + buf[i + 4] * 256
        _need(buf, end)
        return Token("fs_(", i, end)
    params = _FS_PARAMS.get(c)
    if params is None:
        return Token("unknown", i, i + 2, (FS, c))
    _need(buf, i + 2 + params)
    return Token("fs_" + chr(c), i, i + 2 + params, tuple(buf[i + 2 : i + 2 + params]))


def _dle(buf: bytes, i: int) -> Token:
    _need(buf, i + 3)
    c, n = buf[i + 1], buf[i + 2]
    if c == 0x04:
        end = i + 4 if n in (7, 8) else i + 3
        _need(buf, end)
        return Token("dle_eot", i, end, (n,))
    if c == 0x05:
        return Token("dle_enq", i, i + 3, (n,))
    if c == 0x14:
        extra = {1: 2, 2: 2, 3: 5, 7: 3, 8: 7}.get(n, 2)
        _need(buf, i + 3 + extra)
        return Token("dle_dc4", i, i + 3 + extra, (n,))
    return Token("unknown", i, i + 1, (DLE,))


def tokens(buf: bytes, start: int = 0) -> Iterator[Token]:
    """All complete commands from ``start``; stops silently at a truncated command."""
    i = start
    while i < len(buf):
        try:
            token = next_token(buf, i)
        except Incomplete:
            return
        yield token
        i = token.end


def max_command_size(buf: bytes) -> int:
    """Longest single command: the most a printer can still wait for after a cut-off write."""
    return max((t.size for t in tokens(buf) if t.kind != "text"), default=0)


# ---------------------------------------------------------------------- decoded model


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


_ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
_QR_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}
#: Height of one Font A line with the default line spacing, in dots.
LINE_DOTS = 30


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
        job = DecodedJob()
        spans: list[Span] = []
        line_align: list[str] = []
        raw_run: list[tuple[bytes, _State]] = []

        def add_text(payload: bytes) -> None:
            if not spans and not raw_run:
                line_align[:] = [self.state.align]
            raw_run.append((payload, _copy(self.state)))

        def flush_runs() -> None:
            for payload, st in raw_run:
                page = self.pages.get(st.page)
                if page is None:
                    if any(b >= 0x80 for b in payload):
                        job.unknown_pages.add(st.page)
                    text = "".join(chr(b) if b < 0x80 else "\ufffd" for b in payload)
                else:
                    text = page.decode(payload)
                span = Span(text, st.width, st.height, st.bold, st.underline, st.invert, st.font)
                if spans and _same_style(spans[-1], span):
                    spans[-1].text += text
                else:
                    spans.append(span)
            raw_run.clear()

        def end_line(force: bool) -> None:
            flush_runs()
            if spans or force:
                for s in spans:
                    s.text = unicodedata.normalize("NFC", s.text)
                align = line_align[0] if line_align else self.state.align
                job.blocks.append(TextLine(list(spans), align))
            spans.clear()
            line_align.clear()

        st = self.state
        for t in tokens(data):
            k = t.kind
            if k == "text":
                add_text(t.payload)
            elif k == "ht":
                add_text(b"    ")
            elif k == "lf":
                end_line(True)
            elif k == "esc_@":
                spans.clear()
                raw_run.clear()
                line_align.clear()
                self.state = st = _State()
                job.inits += 1
            elif k == "esc_t":
                flush_runs()
                st.page = t.args[0]
                job.codepages.append(t.args[0])
            elif k == "esc_a":
                st.align = _ALIGN.get(t.args[0], st.align)
            elif k == "esc_E" or k == "esc_G":
                st.bold = bool(t.args[0] & 1)
            elif k == "esc_-":
                st.underline = bool(t.args[0] & 3)
            elif k == "esc_M":
                st.font = t.args[0] & 1
            elif k == "esc_!":
                n = t.args[0]
                st.font, st.bold = n & 1, bool(n & 8)
                st.height, st.width = (2 if n & 16 else 1), (2 if n & 32 else 1)
                st.underline = bool(n & 128)
            elif k == "gs_!":
                n = t.args[0]
                st.width, st.height = (n >> 4) + 1, (n & 7) + 1
            elif k == "gs_B":
                st.invert = bool(t.args[0] & 1)
            elif k == "esc_d":
                had = bool(spans or raw_run)
                end_line(False)
                blank = t.args[0] - (1 if had else 0)
                if blank > 0:
                    job.blocks.append(Feed(blank * LINE_DOTS))
            elif k == "esc_J":
                end_line(False)
                job.blocks.append(Feed(t.args[0]))
            elif k == "cut":
                end_line(False)
                m = t.args[0]
                feed = t.args[1] if len(t.args) > 1 else 0
                kind = "full" if m in (0, 48, 65, 97, 103) else "partial"
                job.blocks.append(Cut(kind, feed))
            elif k == "raster":
                end_line(False)
                _, xb, rows = t.args
                job.blocks.append(RasterImage(raster_to_image(xb, rows, t.payload), st.align))
            elif k == "gs_(k":
                self._qr(t.payload, job, end_line)
            elif k == "gs_(L":
                self._graphics(t.payload, job, end_line)
            elif k == "fs_.":
                job.kanji_off = True
            elif k == "dle_eot":
                job.status_queries.append(t.args[0])
            elif k == "unknown":
                job.unknown.append(t.args)
        end_line(False)
        return job

    def _qr(self, p: bytes, job: DecodedJob, end_line) -> None:
        if len(p) < 2 or p[0] != 49:  # cn = 49: QR code
            return
        st, fn = self.state, p[1]
        if fn == 67 and len(p) >= 3:
            st.qr_module = p[2]
        elif fn == 69 and len(p) >= 3:
            st.qr_ec = _QR_EC.get(p[2], st.qr_ec)
        elif fn == 80:
            st.qr_data = p[3:]
        elif fn == 81:
            end_line(False)
            data = st.qr_data.decode("utf-8", errors="replace")
            job.blocks.append(QrCode(data, st.qr_module, st.qr_ec, st.align))

    def _graphics(self, p: bytes, job: DecodedJob, end_line) -> None:
        if len(p) < 2 or p[0] != 48:
            return
        fn = p[1]
        if fn == 69 and len(p) >= 6:  # print NV graphics
            end_line(False)
            key = p[2:4].decode("ascii", errors="replace")
            job.blocks.append(NvLogo(key, (p[4] or 1, p[5] or 1), self.state.align))
        elif fn == 67 and len(p) >= 11:  # define NV graphics, raster, one colour
            key = p[3:5].decode("ascii", errors="replace")
            width = p[6] + p[7] * 256
            height = p[8] + p[9] * 256
            xb = (width + 7) // 8
            image = raster_to_image(xb, height, p[11 : 11 + xb * height]).crop(
                (0, 0, width, height)
            )
            job.nv_definitions[key] = image


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


def decode_for_profile(data: bytes, profile) -> DecodedJob:
    """Decode with the code pages configured in a :class:`~ticket_printer.PrinterProfile`."""
    return decode(data, page_decoders(profile.tcvn_pages, profile.cp1258_page))


class JobSplitter:
    """Cuts a byte stream into jobs as it arrives: a job ends with a cut or NV definition.

    Keeps the unfinished tail; commands split across reads are completed by later data.
    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        self._scan = 0  # tokens before this offset are complete and contain no boundary

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        jobs: list[bytes] = []
        buf = bytes(self.buffer)
        start = 0
        i = self._scan
        while i < len(buf):
            try:
                token = next_token(buf, i)
            except Incomplete:
                break
            i = token.end
            if token.kind == "cut" or (
                token.kind == "gs_(L" and len(token.payload) > 1 and token.payload[1] == 67
            ):
                jobs.append(buf[start:i])
                start = i
        del self.buffer[:start]
        self._scan = i - start
        return jobs

    def flush(self) -> bytes:
        """Take whatever is buffered (used after a quiet period with no cut)."""
        data = bytes(self.buffer)
        self.buffer.clear()
        self._scan = 0
        return data

    @property
    def at_boundary(self) -> bool:
        """Whether the buffer ends exactly at the end of a command."""
        return self._scan == len(self.buffer)
