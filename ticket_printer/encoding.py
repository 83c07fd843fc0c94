"""Vietnamese text → printer bytes: TCVN-3 (two pages) and WPC1258, plus the reverse.

python-escpos's "magic encode" picks a code page per character and hops to CP1252 or
CP852 whenever one of those happens to contain a letter (á, é, ô…), so one Vietnamese word
can switch code pages several times and print mixed glyph sets. The encoders here are
deterministic: TCVN-3 uses exactly its two pages, switching only when a letter lives on
the other page; WPC1258 uses one page. The TCVN-3 tables come from python-escpos's
capability data (escpos-printer-db) with its data slip fixed: capital Đ is stored there as
U+00D0 (Icelandic eth), not U+0110.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from escpos.capabilities import CAPABILITIES

ESC_T = b"\x1bt"

#: Combining tone marks: huyền, sắc, hỏi, ngã, nặng.
TONE_MARKS = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
#: The 12 Vietnamese vowels.
VOWELS = "aăâeêioôơuưy"
#: Letters with a vowel-quality mark (or the stroke), printed as their own base letter.
SPECIAL_BASES = "ăâêôơưđ"


def vietnamese_letters(case: str = "both") -> tuple[str, ...]:
    """All non-ASCII Vietnamese letters: 12 vowels × 5 tones + 7 special bases, per case.

    67 lowercase + 67 uppercase = 134, NFC (one code point each).
    """
    lower = [unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONE_MARKS]
    lower += list(SPECIAL_BASES)
    if case == "lower":
        return tuple(lower)
    upper = [c.upper() for c in lower]
    if case == "upper":
        return tuple(upper)
    return tuple(lower + upper)


def _tcvn_table(name: str) -> dict[int, str]:
    rows = CAPABILITIES["encodings"][name]["data"]
    table = {0x80 + i: ch for i, ch in enumerate("".join(rows)) if ch != " "}
    # Data slip in escpos-printer-db: capital Đ is stored as U+00D0 (Ð).
    return {byte: ("\u0110" if ch == "\u00d0" else ch) for byte, ch in table.items()}


#: byte → character for the TCVN-3 lowercase page (Epson 30) and capitals page (Epson 31).
TCVN3_LOWER_TABLE: Mapping[int, str] = _tcvn_table("TCVN-3-1")
TCVN3_UPPER_TABLE: Mapping[int, str] = _tcvn_table("TCVN-3-2")

# Typographic characters that neither TCVN-3 page holds, with an ASCII stand-in.
_ASCII_STANDIN = {
    "\u2013": "-",  # en dash, e.g. "Tư pháp – Hộ tịch"
    "\u2014": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u00a0": " ",
    "\u2022": "*",
    "\u00b7": ".",
    "\u00d7": "x",
    "\u2116": "No",
}


def ascii_standin(char: str, default: str = "?") -> str:
    """An ASCII replacement for a character no page can print (accents dropped)."""
    if char in _ASCII_STANDIN:
        return _ASCII_STANDIN[char]
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    if base and all(32 <= ord(c) < 127 for c in base):
        return base
    return default


def _clean(text: str) -> str:
    """NFC, and control characters (which could smuggle printer commands) as spaces."""
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


class TextEncoder:
    """Stateful encoder: knows the page selected on the printer, emits ``ESC t`` only on change."""

    #: ``ESC t`` values this encoder may emit.
    pages: frozenset[int] = frozenset()

    def __init__(self) -> None:
        self.page: int | None = None

    def select_initial(self) -> bytes:
        """Bytes to send right after ``ESC @``: init resets the code page to 0."""
        raise NotImplementedError

    def encode(self, text: str) -> bytes:
        """Encode ``text`` (no line feed), with any ``ESC t`` it needs."""
        raise NotImplementedError

    def _select(self, page: int) -> bytes:
        if page == self.page:
            return b""
        self.page = page
        return ESC_T + bytes([page])


class Tcvn3Encoder(TextEncoder):
    """TCVN-3 on two pages: lowercase (+ ă â ê ô ơ ư đ) and capitals, one byte per letter."""

    def __init__(self, pages: tuple[int, int] = (30, 31)) -> None:
        super().__init__()
        self.lower_page, self.upper_page = pages
        self.pages = frozenset(pages)
        self._lower = {ch: byte for byte, ch in TCVN3_LOWER_TABLE.items()}
        self._upper = {ch: byte for byte, ch in TCVN3_UPPER_TABLE.items()}

    def select_initial(self) -> bytes:
        self.page = None
        return self._select(self.lower_page)

    def encode(self, text: str) -> bytes:
        out = bytearray()
        for char in _clean(text):
            out += self._char(char)
        return bytes(out)

    def _char(self, char: str) -> bytes:
        if ord(char) < 0x80:
            return char.encode("ascii")
        if char in self._lower:
            return self._select(self.lower_page) + bytes([self._lower[char]])
        if char in self._upper:
            return self._select(self.upper_page) + bytes([self._upper[char]])
        return ascii_standin(char).encode("ascii")


class Cp1258Encoder(TextEncoder):
    """WPC1258: base letter + combining tone mark, or one byte where the page has the letter.

    Python's ``cp1258`` codec cannot encode most precomposed toned letters ("ố", "ạ"),
    so those are split into base (ă â ê ô ơ ư đ exist precomposed) + one of the five
    combining tone marks, which is how Windows-1258 text is written. The eight toned
    vowels the page does hold precomposed (à á è é í ó ù ú and capitals) are sent as one
    byte, like Windows does: it is shorter, and prints well even on printers that draw a
    combining mark in a cell of its own.
    """

    def __init__(self, page: int = 52) -> None:
        super().__init__()
        self.cp_page = page
        self.pages = frozenset({page})

    def select_initial(self) -> bytes:
        self.page = None
        return self._select(self.cp_page)

    def encode(self, text: str) -> bytes:
        out = bytearray()
        for char in _clean(text):
            if ord(char) < 0x80:
                out += char.encode("ascii")
                continue
            out += self._select(self.cp_page)
            out += self._char(char)
        return bytes(out)

    @staticmethod
    def _char(char: str) -> bytes:
        try:
            return char.encode("cp1258")
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        tones = [c for c in decomposed if c in TONE_MARKS]
        if tones:
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            try:
                return (base + "".join(tones)).encode("cp1258")
            except UnicodeEncodeError:
                pass
        return ascii_standin(char).encode("ascii")


def make_encoder(
    mode: str, tcvn_pages: tuple[int, int] = (30, 31), cp1258_page: int = 52
) -> TextEncoder | None:
    """The encoder for a profile mode; raster mode prints ASCII text only, with no page."""
    if mode == "tcvn3":
        return Tcvn3Encoder(tcvn_pages)
    if mode == "cp1258":
        return Cp1258Encoder(cp1258_page)
    if mode == "raster":
        return None
    raise ValueError(f"unknown mode {mode!r}")


# ---------------------------------------------------------------------------- decoding


class PageDecoder:
    """Bytes ≥ 0x80 of one code page → text (ASCII passes through)."""

    def __init__(self, name: str, table: Mapping[int, str] | None = None, codec: str = "") -> None:
        self.name = name
        self._table = table
        self._codec = codec

    def decode(self, data: bytes) -> str:
        if self._codec:
            return data.decode(self._codec, errors="replace")
        table = self._table or {}
        return "".join(chr(b) if b < 0x80 else table.get(b, "\ufffd") for b in data)


def page_decoders(
    tcvn_pages: tuple[int, int] = (30, 31), cp1258_page: int = 52
) -> dict[int, PageDecoder]:
    """Decoders for the pages a printer of this configuration understands."""
    pages = {
        0: PageDecoder("PC437", codec="cp437"),
        16: PageDecoder("WPC1252", codec="cp1252"),
        cp1258_page: PageDecoder("WPC1258", codec="cp1258"),
    }
    pages[tcvn_pages[0]] = PageDecoder("TCVN-3 (1)", TCVN3_LOWER_TABLE)
    pages[tcvn_pages[1]] = PageDecoder("TCVN-3 (2)", TCVN3_UPPER_TABLE)
    return pages
