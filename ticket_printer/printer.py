"""The facade the kiosk uses: check the printer, print a ticket, report typed errors."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .errors import (
    PrinterError,
    PrinterGoneError,
    PrinterOfflineError,
    PrinterTimeoutError,
    error_for_status,
)
from .escpos.tokens import max_command_size
from .layout import Ticket
from .profile import PrinterProfile
from .render import INIT, render_test_page, render_ticket
from .status import PrinterStatus, query_status
from .transports import Transport, open_transport


@dataclass(frozen=True)
class PrintReport:
    """What happened to one job that was sent."""

    status_before: PrinterStatus
    bytes_sent: int
    seconds: float


class Printer:
    """One printer: status check, then the whole job in a single write.

    Thread-safe (a health thread may call :meth:`check_status` while a ticket prints).
    The port is opened lazily and reopened after it vanished, so the next ticket prints
    as soon as the fault clears.

    After a write was cut off, the printer may still be waiting for the rest of a
    command (say 3 KB of image data) and would swallow the next ticket as that data. The
    next job is therefore prefixed with enough NUL bytes to complete the longest command
    of the aborted job (NUL is ignored as text, white as image data), ``ESC @`` and a
    cut, so whatever was half printed comes off as a separate slip.
    """

    def __init__(self, profile: PrinterProfile, transport: Transport | None = None) -> None:
        self.profile = profile
        self.transport = transport if transport is not None else open_transport(profile.transport)
        self._lock = threading.RLock()
        #: Why the last :meth:`check_status` said ``offline`` (port missing, refused…).
        self.last_fault: PrinterError | None = None

    # ----------------------------------------------------------------- lifecycle
    def open(self) -> None:
        with self._lock:
            self.transport.open()

    def close(self) -> None:
        with self._lock:
            self.transport.close()

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------------- status
    def check_status(self) -> PrinterStatus:
        """Current state; a vanished or unopenable port is ``offline``. Never raises
        for printer faults."""
        with self._lock:
            try:
                status = self._status()
            except (PrinterGoneError, PrinterTimeoutError) as exc:
                self.transport.close()
                self.last_fault = exc
                return PrinterStatus.OFFLINE
            self.last_fault = None
            return status

    def _status(self) -> PrinterStatus:
        self.transport.open()
        if not self.transport.can_read:
            return PrinterStatus.UNKNOWN
        # A ticket still queued on a slow line delays the answer: wait for it too.
        backlog = 0.0
        if self.profile.baudrate:
            backlog = self.transport.pending_output() * 10 / self.profile.baudrate
        return query_status(self.transport, self.profile.status_timeout_s + backlog)

    def _raise_for(self, status: PrinterStatus) -> None:
        if status in (PrinterStatus.OFFLINE, PrinterStatus.UNKNOWN):
            if not self.profile.require_status_reply:
                return
            if status is PrinterStatus.UNKNOWN and self.transport.can_read:
                raise PrinterOfflineError(
                    "Máy in trả lời trạng thái không hợp lệ (sai tốc độ baud?) "
                    "/ invalid status answer (wrong baud rate?)"
                )
            if status is PrinterStatus.UNKNOWN:
                return  # a link that cannot answer: nothing to check
        error = error_for_status(status)
        if error is not None:
            raise error

    # ------------------------------------------------------------------- printing
    def print_ticket(self, ticket: Ticket) -> PrintReport:
        """Render, check status, write once. Raises a typed :class:`PrinterError`."""
        return self.print_job(render_ticket(ticket, self.profile))

    def print_test_page(self) -> PrintReport:
        return self.print_job(render_test_page(self.profile))

    def print_job(self, data: bytes) -> PrintReport:
        """Send one complete job (already rendered) after a status check."""
        with self._lock:
            started = time.monotonic()
            try:
                status = self._status()
            except (PrinterGoneError, PrinterTimeoutError):
                self.transport.close()  # reopened on the next call
                raise
            self._raise_for(status)
            payload = self._resync_prefix() + data
            try:
                self.transport.write(payload)
            except PrinterTimeoutError:
                self.transport.discard_output()
                self._note_aborted(data)
                raise
            except PrinterGoneError:
                self.transport.close()
                self._note_aborted(data)
                raise
            self.transport.resync_bytes = 0
            return PrintReport(status, len(payload), time.monotonic() - started)

    def _note_aborted(self, data: bytes) -> None:
        # Kept on the transport: it describes the printer at the end of that link.
        self.transport.resync_bytes = max(self.transport.resync_bytes, max_command_size(data))

    def _resync_prefix(self) -> bytes:
        pad = self.transport.resync_bytes
        if not pad:
            return b""
        cut = b"" if self.profile.cut == "none" else b"\x1dVB\x00"
        return b"\x00" * pad + INIT + cut
