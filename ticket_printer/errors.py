"""Typed printer errors.

Every error carries the :class:`~ticket_printer.status.PrinterStatus` the kiosk should
report in its health message, and a Vietnamese message first (English after " / ").
"""

from __future__ import annotations

from .status import PrinterStatus


class PrinterError(Exception):
    """Base class: the ticket was not printed."""

    status: PrinterStatus = PrinterStatus.UNKNOWN

    def __init__(self, message: str, *, status: PrinterStatus | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class PaperOutError(PrinterError):
    """The printer reports paper end."""

    status = PrinterStatus.PAPER_OUT


class CoverOpenError(PrinterError):
    """The printer reports its cover open."""

    status = PrinterStatus.COVER_OPEN


class PrinterOfflineError(PrinterError):
    """The printer is offline, does not answer status queries, or answers garbage."""

    status = PrinterStatus.OFFLINE


class PrinterTimeoutError(PrinterError):
    """The printer stopped accepting data for longer than the write timeout."""

    status = PrinterStatus.OFFLINE


class PrinterGoneError(PrinterError):
    """The port or connection vanished (unplugged, powered off, socket closed)."""

    status = PrinterStatus.OFFLINE


class PrinterConfigError(PrinterError):
    """The configuration cannot work (missing optional library, bad device path type)."""


def error_for_status(status: PrinterStatus) -> PrinterError | None:
    """The error that blocks printing for ``status``, or None when printing may go ahead."""
    if status is PrinterStatus.PAPER_OUT:
        return PaperOutError("Máy in hết giấy / printer is out of paper")
    if status is PrinterStatus.COVER_OPEN:
        return CoverOpenError("Nắp máy in đang mở / printer cover is open")
    if status is PrinterStatus.OFFLINE:
        return PrinterOfflineError(
            "Máy in không sẵn sàng hoặc không trả lời / printer offline or not answering"
        )
    return None
