"""The contract every link to the printer keeps: :class:`Transport`, and its two errors.

``write()`` raises :class:`~ticket_printer.errors.PrinterTimeoutError` when the printer
accepts no data for ``write_timeout_s`` (a stall, not a total: a long raster ticket on a
slow line that keeps moving is fine) and :class:`~ticket_printer.errors.PrinterGoneError`
when the port or connection vanishes; ``read()`` returns what arrived within ``timeout``
(possibly nothing). Nothing blocks without a bound.

One transport per module (``serial.py``, ``tcp.py``, ``file.py``, ``usb.py``), as in
python-escpos; this module holds only what they share.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..errors import PrinterGoneError, PrinterTimeoutError


def timeout_error(name: str, seconds: float) -> PrinterTimeoutError:
    """The printer ``name`` accepted no data for ``seconds``."""
    return PrinterTimeoutError(
        f"Máy in {name} không nhận dữ liệu trong {seconds:g} giây "
        f"/ printer stopped accepting data for {seconds:g} s"
    )


def gone_error(name: str, exc: BaseException | str) -> PrinterGoneError:
    """The port or connection to the printer ``name`` vanished (``exc`` says how)."""
    return PrinterGoneError(f"Mất kết nối máy in {name} / printer link lost: {exc}")


class Transport(ABC):
    """A bidirectional byte link to one printer."""

    #: Whether status answers can be read back.
    can_read: bool = True
    #: Default stall timeout for writes.
    write_timeout_s: float = 3.0
    #: After an aborted write: NUL bytes the printer may still be waiting for.
    resync_bytes: int = 0

    @property
    @abstractmethod
    def name(self) -> str: ...

    @property
    @abstractmethod
    def is_open(self) -> bool: ...

    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def write(self, data: bytes, timeout: float | None = None) -> None: ...

    def read(self, size: int, timeout: float) -> bytes:
        return b""

    def discard_input(self) -> None:  # noqa: B027 - optional hook
        """Drop stale bytes (old answers) before a query."""

    def discard_output(self) -> None:  # noqa: B027 - optional hook
        """Drop data not yet sent, after an aborted write."""

    def pending_output(self) -> int:
        """Bytes written but still queued in the operating system."""
        return 0

    def __enter__(self) -> Transport:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
