"""ESC/POS bytes → commands: the tokenizer, and the job boundaries of a byte stream.

Command lengths never depend on printer state, so a stream can be tokenised
incrementally (:class:`JobSplitter`). Separate from the decoder (``decoder.py``, which
interprets the commands with the printer's state): the runtime needs only this part,
:func:`max_command_size` for the resync after an aborted write (``printer.py``), and the
virtual printer needs :class:`JobSplitter` to cut what arrives into jobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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


def _fixed(buf: bytes, i: int, table: dict[int, int], prefix: str) -> Token:
    """A command of ``table`` (second byte → number of parameter bytes), or ``unknown``."""
    c = buf[i + 1]
    params = table.get(c)
    if params is None:
        return Token("unknown", i, i + 2, (buf[i], c))
    _need(buf, i + 2 + params)
    return Token(prefix + chr(c), i, i + 2 + params, tuple(buf[i + 2 : i + 2 + params]))


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
    return _fixed(buf, i, _ESC_PARAMS, "esc_")


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
    return _fixed(buf, i, _GS_PARAMS, "gs_")


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
    return _fixed(buf, i, _FS_PARAMS, "fs_")


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
