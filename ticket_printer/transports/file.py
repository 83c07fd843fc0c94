"""A regular file (a capture) or a device node such as ``/dev/usb/lp0`` (Linux usblp).

Device nodes are written without blocking, with the same stall timeout as the other
links; no extra library is needed.
"""

from __future__ import annotations

import contextlib
import os
import select
import stat
import time

from ..profile import FileSettings
from .base import Transport, gone_error, timeout_error


def _fd_write(fd: int, data: bytes, timeout: float, name: str) -> None:
    """Non-blocking write loop; ``timeout`` is the longest time without progress."""
    view = memoryview(data)
    deadline = time.monotonic() + timeout
    while view:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise timeout_error(name, timeout)
        _, writable, _ = select.select([], [fd], [], remaining)
        if not writable:
            continue
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            continue
        except OSError as exc:
            raise gone_error(name, exc) from exc
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
            raise gone_error(self.name, exc) from exc
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
            raise gone_error(self.name, exc) from exc
        self.can_read = self._device

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def write(self, data: bytes, timeout: float | None = None) -> None:
        if self._fd is None:
            raise gone_error(self.name, "chưa mở / not open")
        timeout = timeout or self.write_timeout_s
        if self._device:
            _fd_write(self._fd, data, timeout, self.name)
            return
        try:
            os.write(self._fd, data)
        except OSError as exc:
            raise gone_error(self.name, exc) from exc

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
            raise gone_error(self.name, exc) from exc

    def discard_input(self) -> None:
        while self._fd is not None and self._device and self.read(4096, 0):
            pass
