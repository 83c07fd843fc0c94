"""RS-232 or a USB-serial adapter, through pyserial.

The serial port is owned here rather than through python-escpos's ``Serial``, which
exposes neither ``rtscts`` nor ``write_timeout`` (and on Linux pyserial ignores DSR/DTR
flow control, so only RTS/CTS and XON/XOFF are offered).
"""

from __future__ import annotations

import contextlib
import logging
import os

import serial

from ..profile import SerialSettings
from .base import Transport, gone_error, timeout_error

try:
    import termios

    #: What flushing a vanished port raises (``termios.error`` is not an ``OSError``).
    _FLUSH_ERRORS: tuple[type[Exception], ...] = (serial.SerialException, OSError, termios.error)
except ImportError:  # pragma: no cover - Windows
    _FLUSH_ERRORS = (serial.SerialException, OSError)

log = logging.getLogger(__name__)


class SerialTransport(Transport):
    """pyserial port with RTS/CTS or XON/XOFF and a per-chunk write timeout.

    pyserial's ``write_timeout`` bounds one ``write()`` call as a whole; the ticket is
    written in chunks small enough to move in a quarter of the timeout at the line speed,
    so the timeout measures a stall, not the length of the ticket.
    """

    def __init__(self, settings: SerialSettings) -> None:
        self.settings = settings
        self.write_timeout_s = settings.write_timeout_s
        self._port: serial.Serial | None = None

    @property
    def name(self) -> str:
        return self.settings.device

    @property
    def is_open(self) -> bool:
        return self._port is not None and self._port.is_open

    def open(self) -> None:
        if self.is_open:
            return
        s = self.settings
        port = serial.Serial()
        port.port = s.device
        port.baudrate = s.baudrate
        port.bytesize = serial.EIGHTBITS
        port.parity = serial.PARITY_NONE
        port.stopbits = serial.STOPBITS_ONE
        port.rtscts = s.flow_control == "rtscts"
        port.xonxoff = s.flow_control == "xonxoff"
        port.dsrdtr = False
        port.timeout = 0
        port.write_timeout = s.write_timeout_s
        if os.name == "posix":
            port.exclusive = True
        try:
            port.open()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise gone_error(self.name, exc) from exc
        self._port = port

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()

    def _require(self) -> serial.Serial:
        if self._port is None:
            raise gone_error(self.name, "cổng chưa mở / port not open")
        return self._port

    def chunk_size(self, timeout: float) -> int:
        per_second = self.settings.baudrate / 10
        return int(min(16384, max(64, per_second * timeout / 4)))

    def write(self, data: bytes, timeout: float | None = None) -> None:
        port = self._require()
        timeout = timeout or self.write_timeout_s
        chunk = self.chunk_size(timeout)
        try:
            port.write_timeout = timeout
            for offset in range(0, len(data), chunk):
                port.write(data[offset : offset + chunk])
        except serial.SerialTimeoutException as exc:
            raise timeout_error(self.name, timeout) from exc
        except (serial.SerialException, OSError) as exc:
            raise gone_error(self.name, exc) from exc

    def read(self, size: int, timeout: float) -> bytes:
        port = self._require()
        try:
            port.timeout = timeout
            return bytes(port.read(size))
        except (serial.SerialException, OSError) as exc:
            raise gone_error(self.name, exc) from exc

    def discard_input(self) -> None:
        port = self._require()
        try:
            port.reset_input_buffer()
        except _FLUSH_ERRORS as exc:
            raise gone_error(self.name, exc) from exc

    def discard_output(self) -> None:
        if self._port is not None:
            with contextlib.suppress(Exception):
                self._port.reset_output_buffer()

    def pending_output(self) -> int:
        try:
            return int(self._port.out_waiting) if self._port is not None else 0
        except Exception as exc:  # a vanishing port; the status query that follows says so
            log.warning("printer %s: output queue unknown, counted as empty: %s", self.name, exc)
            return 0
