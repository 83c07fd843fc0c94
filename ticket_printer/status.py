"""Real-time status (``DLE EOT n``): one query, one byte, short timeout, validated.

python-escpos 3.1's ``query_status()`` reads 16 bytes, so every call waits for the
whole timeout, and ``paper_status()`` reports "paper OK" when the printer does not answer
at all. Here each query reads exactly one byte and a missing or malformed answer is
reported as such.
"""

from __future__ import annotations

import enum
from typing import Protocol

DLE_EOT = b"\x10\x04"

#: ``DLE EOT n`` functions.
PRINTER_STATUS = 1
OFFLINE_CAUSE = 2
ERROR_CAUSE = 3
PAPER_SENSOR = 4

# Every status byte has the fixed pattern 0xx1xx10.
_FIXED_MASK = 0x93
_FIXED_BITS = 0x12
_OFFLINE_BIT = 0x08  # n=1
_COVER_OPEN_BIT = 0x04  # n=2
_PAPER_END_STOP_BIT = 0x20  # n=2
_NEAR_END_BITS = 0x0C  # n=4
_PAPER_END_BITS = 0x60  # n=4


class PrinterStatus(enum.StrEnum):
    """Printer state as reported in the kiosk's health message."""

    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    UNKNOWN = "unknown"

    @property
    def label_vi(self) -> str:
        """Vietnamese label for screens and CLI output."""
        return _LABELS_VI[self]

    @property
    def printable(self) -> bool:
        """True when a ticket may be sent (near end still prints)."""
        return self in (PrinterStatus.OK, PrinterStatus.PAPER_NEAR_END)


_LABELS_VI = {
    PrinterStatus.OK: "Sẵn sàng",
    PrinterStatus.PAPER_NEAR_END: "Sắp hết giấy",
    PrinterStatus.PAPER_OUT: "Hết giấy",
    PrinterStatus.COVER_OPEN: "Nắp máy in đang mở",
    PrinterStatus.OFFLINE: "Mất kết nối / không trả lời",
    PrinterStatus.UNKNOWN: "Không xác định",
}


def query_bytes(n: int) -> bytes:
    """The 3-byte ``DLE EOT n`` query."""
    if n not in (1, 2, 3, 4):
        raise ValueError(f"DLE EOT function must be 1..4, not {n}")
    return DLE_EOT + bytes([n])


def is_valid_status_byte(value: int) -> bool:
    """Whether ``value`` has the fixed bit pattern 0xx1xx10 of a status answer."""
    return value & _FIXED_MASK == _FIXED_BITS


def interpret(
    printer: int | None, offline_cause: int | None = None, paper: int | None = None
) -> PrinterStatus:
    """Turn the answers to ``DLE EOT 1``, ``2`` and ``4`` into one status.

    ``None`` means "no answer". A missing first answer is ``offline``; any malformed byte,
    or a printer that answers ``1`` but not ``4``, is ``unknown``.
    """
    if printer is None:
        return PrinterStatus.OFFLINE
    if not is_valid_status_byte(printer):
        return PrinterStatus.UNKNOWN
    for value in (offline_cause, paper):
        if value is not None and not is_valid_status_byte(value):
            return PrinterStatus.UNKNOWN
    if printer & _OFFLINE_BIT:
        if offline_cause is not None and offline_cause & _COVER_OPEN_BIT:
            return PrinterStatus.COVER_OPEN
        if offline_cause is not None and offline_cause & _PAPER_END_STOP_BIT:
            return PrinterStatus.PAPER_OUT
        if paper is not None and paper & _PAPER_END_BITS:
            return PrinterStatus.PAPER_OUT
        return PrinterStatus.OFFLINE
    if paper is None:
        return PrinterStatus.UNKNOWN
    if paper & _PAPER_END_BITS:
        return PrinterStatus.PAPER_OUT
    if paper & _NEAR_END_BITS:
        return PrinterStatus.PAPER_NEAR_END
    return PrinterStatus.OK


class StatusLink(Protocol):
    """What :func:`query_status` needs from a transport."""

    def discard_input(self) -> None: ...

    def write(self, data: bytes, timeout: float | None = None) -> None: ...

    def read(self, size: int, timeout: float) -> bytes: ...


def ask(link: StatusLink, n: int, timeout: float) -> int | None:
    """Send ``DLE EOT n`` and read one byte; None when nothing arrives in ``timeout``.

    A query that cannot even be written within ``timeout`` (printer not reading) is "no
    answer" too. :class:`~ticket_printer.errors.PrinterGoneError` propagates.
    """
    from .errors import PrinterTimeoutError

    try:
        link.write(query_bytes(n), timeout=timeout)
    except PrinterTimeoutError:
        return None
    answer = link.read(1, timeout)
    return answer[0] if answer else None


def query_status(link: StatusLink, timeout: float) -> PrinterStatus:
    """Ask the printer for its state: 1 to 3 round trips of one byte each."""
    link.discard_input()
    printer = ask(link, PRINTER_STATUS, timeout)
    if printer is None or not is_valid_status_byte(printer):
        return interpret(printer)
    if printer & _OFFLINE_BIT:
        cause = ask(link, OFFLINE_CAUSE, timeout)
        paper = None
        if cause is not None and is_valid_status_byte(cause) and not cause & 0x24:
            paper = ask(link, PAPER_SENSOR, timeout)
        return interpret(printer, cause, paper)
    return interpret(printer, None, ask(link, PAPER_SENSOR, timeout))
