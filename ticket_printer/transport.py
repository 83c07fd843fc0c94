"""Links to the printer: serial, TCP (port 9100), USB, file or device node.

Every transport has the same contract: ``write()`` raises
:class:`~ticket_printer.errors.PrinterTimeoutError` when the printer accepts no data for
``write_timeout_s`` (a stall, not a total: a long raster ticket on a slow line that keeps
moving is fine) and :class:`~ticket_printer.errors.PrinterGoneError` when the port or
connection vanishes; ``read()`` returns what arrived within ``timeout`` (possibly
nothing). Nothing blocks without a bound.

The serial port is owned here rather than through python-escpos's ``Serial``, which
exposes neither ``rtscts`` nor ``write_timeout`` (and on Linux pyserial ignores DSR/DTR
flow control, so only RTS/CTS and XON/XOFF are offered).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import stat
import time
from abc import ABC, abstractmethod

import serial

try:
    from termios import error as TermiosError
except ImportError:  # pragma: no cover - Windows
    TermiosError = OSError

from .errors import PrinterConfigError, PrinterGoneError, PrinterTimeoutError
from .profile import FileSettings, SerialSettings, TcpSettings, UsbSettings


def _timeout_error(name: str, seconds: float) -> PrinterTimeoutError:
    return PrinterTimeoutError(
        f"Máy in {name} không nhận dữ liệu trong {seconds:g} giây "
        f"/ printer stopped accepting data for {seconds:g} s"
    )


def _gone_error(name: str, exc: BaseException | str) -> PrinterGoneError:
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
            raise _gone_error(self.name, exc) from exc
        self._port = port

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()

    def _require(self) -> serial.Serial:
        if self._port is None:
            raise _gone_error(self.name, "cổng chưa mở / port not open")
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
            raise _timeout_error(self.name, timeout) from exc
        except (serial.SerialException, OSError) as exc:
            raise _gone_error(self.name, exc) from exc

    def read(self, size: int, timeout: float) -> bytes:
        port = self._require()
        try:
            port.timeout = timeout
            return port.read(size)
        except (serial.SerialException, OSError) as exc:
            raise _gone_error(self.name, exc) from exc

    def discard_input(self) -> None:
        port = self._require()
        try:
            port.reset_input_buffer()
        except (serial.SerialException, OSError, TermiosError) as exc:
            raise _gone_error(self.name, exc) from exc

    def discard_output(self) -> None:
        if self._port is not None:
            with contextlib.suppress(Exception):
                self._port.reset_output_buffer()

    def pending_output(self) -> int:
        try:
            return int(self._port.out_waiting) if self._port is not None else 0
        except Exception:
            return 0


class TcpTransport(Transport):
    """Raw TCP (JetDirect, port 9100). After a stalled write the socket is dropped."""

    def __init__(self, settings: TcpSettings) -> None:
        self.settings = settings
        self.write_timeout_s = settings.write_timeout_s
        self._sock: socket.socket | None = None

    @property
    def name(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        if self._sock is not None:
            return
        s = self.settings
        try:
            sock = socket.create_connection((s.host, s.port), timeout=s.connect_timeout_s)
        except TimeoutError as exc:
            raise _timeout_error(self.name, s.connect_timeout_s) from exc
        except OSError as exc:
            raise _gone_error(self.name, exc) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _require(self) -> socket.socket:
        if self._sock is None:
            raise _gone_error(self.name, "chưa kết nối / not connected")
        return self._sock

    def write(self, data: bytes, timeout: float | None = None) -> None:
        sock = self._require()
        timeout = timeout or self.write_timeout_s
        try:
            sock.settimeout(timeout)
            for offset in range(0, len(data), 4096):
                sock.sendall(data[offset : offset + 4096])
        except TimeoutError as exc:
            self.close()
            raise _timeout_error(self.name, timeout) from exc
        except OSError as exc:
            self.close()
            raise _gone_error(self.name, exc) from exc

    def read(self, size: int, timeout: float) -> bytes:
        sock = self._require()
        try:
            sock.settimeout(timeout)
            data = sock.recv(size)
        except TimeoutError:
            return b""
        except OSError as exc:
            self.close()
            raise _gone_error(self.name, exc) from exc
        if not data:
            self.close()
            raise _gone_error(self.name, "máy in đóng kết nối / connection closed")
        return data

    def discard_input(self) -> None:
        sock = self._require()
        try:
            sock.settimeout(0)
            while True:
                data = sock.recv(4096)
                if not data:
                    self.close()
                    raise _gone_error(self.name, "máy in đóng kết nối / connection closed")
        except (BlockingIOError, TimeoutError):
            return
        except OSError as exc:
            self.close()
            raise _gone_error(self.name, exc) from exc

    def discard_output(self) -> None:
        self.close()


def _fd_write(fd: int, data: bytes, timeout: float, name: str) -> None:
    """Non-blocking write loop; ``timeout`` is the longest time without progress."""
    view = memoryview(data)
    deadline = time.monotonic() + timeout
    while view:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout_error(name, timeout)
        _, writable, _ = select.select([], [fd], [], remaining)
        if not writable:
            continue
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            continue
        except OSError as exc:
            raise _gone_error(name, exc) from exc
        if written:
            view = view[written:]
            deadline = time.monotonic() + timeout


class FileTransport(Transport):
    """A regular file (append, e.g. a capture) or a device node (``/dev/usb/lp0``).

    A device node opened read-write can answer status queries (bidirectional usblp); a
    regular file cannot, so its status is ``unknown``.
    """

    def __init__(self, settings: FileSettings) -> None:
        self.settings = settings
        self.write_timeout_s = settings.write_timeout_s
        self._fd: int | None = None
        self._device = False

    @property
    def name(self) -> str:
        return str(self.settings.path)

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def open(self) -> None:
        if self._fd is not None:
            return
        path = str(self.settings.path)
        try:
            self._device = stat.S_ISCHR(os.stat(path).st_mode)
        except FileNotFoundError:
            self._device = False
        except OSError as exc:
            raise _gone_error(self.name, exc) from exc
        try:
            if self._device:
                flags = os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
                try:
                    self._fd = os.open(path, os.O_RDWR | flags)
                except PermissionError:
                    self._fd = os.open(path, os.O_WRONLY | flags)
                    self._device = False
            else:
                self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _gone_error(self.name, exc) from exc
        self.can_read = self._device

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def write(self, data: bytes, timeout: float | None = None) -> None:
        if self._fd is None:
            raise _gone_error(self.name, "chưa mở / not open")
        timeout = timeout or self.write_timeout_s
        if self._device:
            _fd_write(self._fd, data, timeout, self.name)
            return
        try:
            os.write(self._fd, data)
        except OSError as exc:
            raise _gone_error(self.name, exc) from exc

    def read(self, size: int, timeout: float) -> bytes:
        if self._fd is None or not self._device:
            return b""
        readable, _, _ = select.select([self._fd], [], [], timeout)
        if not readable:
            return b""
        try:
            return os.read(self._fd, size)
        except BlockingIOError:
            return b""
        except OSError as exc:
            raise _gone_error(self.name, exc) from exc

    def discard_input(self) -> None:
        while self._fd is not None and self._device and self.read(4096, 0):
            pass


class UsbTransport(Transport):
    """USB printer class device through pyusb (``pip install pyusb``, plus libusb).

    On Linux the ``usblp`` kernel driver also exposes the printer as ``/dev/usb/lp0``;
    :class:`FileTransport` on that node needs no extra library.
    """

    def __init__(self, settings: UsbSettings) -> None:
        self.settings = settings
        self.write_timeout_s = settings.write_timeout_s
        self._dev = None
        self._out = None
        self._in = None

    @property
    def name(self) -> str:
        return f"usb {self.settings.vendor_id:04x}:{self.settings.product_id:04x}"

    @property
    def is_open(self) -> bool:
        return self._dev is not None

    def open(self) -> None:
        if self._dev is not None:
            return
        try:
            import usb.core
            import usb.util
        except ImportError as exc:
            raise PrinterConfigError(
                "Cần cài pyusb để dùng máy in USB / USB printers need pyusb: pip install pyusb"
            ) from exc
        s = self.settings
        try:
            dev = usb.core.find(idVendor=s.vendor_id, idProduct=s.product_id)
        except usb.core.NoBackendError as exc:
            raise PrinterConfigError(
                "Thiếu thư viện libusb / libusb is missing: apt-get install libusb-1.0-0"
            ) from exc
        if dev is None:
            raise _gone_error(self.name, "không tìm thấy thiết bị / device not found")
        try:
            if dev.is_kernel_driver_active(s.interface):
                dev.detach_kernel_driver(s.interface)
        except (NotImplementedError, usb.core.USBError):
            pass
        with contextlib.suppress(usb.core.USBError):  # already configured
            dev.set_configuration()
        intf = dev.get_active_configuration()[(s.interface, 0)]
        out_ep = s.out_endpoint or next(
            e.bEndpointAddress
            for e in intf
            if usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_OUT
        )
        in_eps = [
            e.bEndpointAddress
            for e in intf
            if usb.util.endpoint_direction(e.bEndpointAddress) == usb.util.ENDPOINT_IN
        ]
        self._dev, self._out = dev, out_ep
        self._in = s.in_endpoint or (in_eps[0] if in_eps else None)
        self.can_read = self._in is not None

    def close(self) -> None:  # pragma: no cover - needs hardware and pyusb
        dev, self._dev = self._dev, None
        if dev is not None:
            import usb.util

            with contextlib.suppress(Exception):
                usb.util.dispose_resources(dev)

    def write(self, data: bytes, timeout: float | None = None) -> None:  # pragma: no cover
        import usb.core

        if self._dev is None:
            raise _gone_error(self.name, "chưa mở / not open")
        timeout = timeout or self.write_timeout_s
        try:
            for offset in range(0, len(data), 4096):
                self._dev.write(self._out, data[offset : offset + 4096], int(timeout * 1000))
        except usb.core.USBTimeoutError as exc:
            raise _timeout_error(self.name, timeout) from exc
        except usb.core.USBError as exc:
            self.close()
            raise _gone_error(self.name, exc) from exc

    def read(self, size: int, timeout: float) -> bytes:  # pragma: no cover
        import usb.core

        if self._dev is None or self._in is None:
            return b""
        try:
            return bytes(self._dev.read(self._in, max(size, 64), int(timeout * 1000)))[:size]
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as exc:
            self.close()
            raise _gone_error(self.name, exc) from exc


def open_transport(settings) -> Transport:
    """The (not yet opened) transport for a profile's ``transport`` settings."""
    if isinstance(settings, SerialSettings):
        return SerialTransport(settings)
    if isinstance(settings, TcpSettings):
        return TcpTransport(settings)
    if isinstance(settings, UsbSettings):
        return UsbTransport(settings)
    if isinstance(settings, FileSettings):
        return FileTransport(settings)
    raise PrinterConfigError(f"unknown transport settings {settings!r}")
