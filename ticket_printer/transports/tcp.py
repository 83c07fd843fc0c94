"""A network printer on its raw TCP port (JetDirect, usually 9100)."""

from __future__ import annotations

import contextlib
import socket

from ..profile import TcpSettings
from .base import Transport, gone_error, timeout_error


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
            raise timeout_error(self.name, s.connect_timeout_s) from exc
        except OSError as exc:
            raise gone_error(self.name, exc) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _require(self) -> socket.socket:
        if self._sock is None:
            raise gone_error(self.name, "chưa kết nối / not connected")
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
            raise timeout_error(self.name, timeout) from exc
        except OSError as exc:
            self.close()
            raise gone_error(self.name, exc) from exc

    def read(self, size: int, timeout: float) -> bytes:
        sock = self._require()
        try:
            sock.settimeout(timeout)
            data = sock.recv(size)
        except TimeoutError:
            return b""
        except OSError as exc:
            self.close()
            raise gone_error(self.name, exc) from exc
        if not data:
            self.close()
            raise gone_error(self.name, "máy in đóng kết nối / connection closed")
        return data

    def discard_input(self) -> None:
        sock = self._require()
        try:
            sock.settimeout(0)
            while True:
                data = sock.recv(4096)
                if not data:
                    self.close()
                    raise gone_error(self.name, "máy in đóng kết nối / connection closed")
        except (BlockingIOError, TimeoutError):
            return
        except OSError as exc:
            self.close()
            raise gone_error(self.name, exc) from exc

    def discard_output(self) -> None:
        self.close()
