"""The virtual printer's end of the link: a socat pty pair, an openpty pair or TCP.

Plumbing only: processes, file descriptors, sockets and the ``kiosk`` link the sender
opens. What the printer does with the bytes (modes, status answers, jobs) is in
``device.py``; it reads and answers through a :data:`Source` that this module hands out.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import subprocess
import tempfile
import time
import tty
from pathlib import Path
from typing import Literal

Backend = Literal["socat", "openpty", "tcp"]
BACKENDS: tuple[Backend, ...] = ("socat", "openpty", "tcp")

#: What the printer reads from and answers on: a pty file descriptor or a TCP connection.
Source = int | socket.socket


class EmulatorError(RuntimeError):
    """The virtual printer could not start (socat missing, port busy…)."""


def choose_backend(name: str) -> Backend:
    """A backend by name; ``auto`` is socat when it is installed, openpty otherwise."""
    if name == "auto":
        return "socat" if shutil.which("socat") else "openpty"
    for backend in BACKENDS:
        if name == backend:
            return backend
    raise EmulatorError(f"unknown backend {name!r}")


class PrinterPort:
    """Where the sender connects: ``device_path`` (a pty link in ``link_dir``, or
    ``host:port``), kept across :meth:`disconnect` / :meth:`connect` (replugging).

    Not thread-safe: the virtual printer calls it under its own lock.
    """

    def __init__(self, backend: Backend, link_dir: str | Path | None, tcp_port: int) -> None:
        self.backend = backend
        self.own_link_dir = link_dir is None
        self.link_dir = Path(link_dir) if link_dir else Path(tempfile.mkdtemp(prefix="motcua-vp-"))
        self.tcp_port = tcp_port
        #: Bumped at each (re)connection: what the reader saw of an older connection
        #: (its fd number may be reused by the new one) must not end the new one.
        self.generation = 0
        self._socat: subprocess.Popen[bytes] | None = None
        self._fd: int | None = None
        self._spare_fd: int | None = None  # openpty: our copy of the slave side
        self._server: socket.socket | None = None
        self._conn: socket.socket | None = None

    @property
    def device_path(self) -> str:
        """Serial device for the kiosk (socat/openpty), or ``host:port`` (tcp)."""
        if self.backend == "tcp":
            return f"127.0.0.1:{self.tcp_port}"
        return str(self.link_dir / "kiosk")

    @property
    def connected(self) -> bool:
        return self._fd is not None or self._conn is not None

    def start(self) -> None:
        self.link_dir.mkdir(parents=True, exist_ok=True)
        self.connect()

    def close(self) -> None:
        """Disconnect for good: the TCP listener and a link directory we made go too."""
        self.disconnect()
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.close()
            self._server = None
        if self.own_link_dir:
            shutil.rmtree(self.link_dir, ignore_errors=True)

    # --------------------------------------------------------------- connections
    def connect(self) -> None:
        self.generation += 1
        if self.backend == "socat":
            self._start_socat()
        elif self.backend == "openpty":
            self._start_openpty()
        elif self.backend == "tcp":
            if self._server is None:
                self._server = self._listen()
        else:
            raise EmulatorError(f"unknown backend {self.backend!r}")

    def _listen(self) -> socket.socket:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # A printer has a small receive buffer; accepted sockets inherit this.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        server.bind(("127.0.0.1", self.tcp_port))
        server.listen(1)
        server.setblocking(False)
        self.tcp_port = server.getsockname()[1]
        return server

    def _start_socat(self) -> None:
        exe = shutil.which("socat")
        if exe is None:
            raise EmulatorError("socat không có / socat is not installed (apt-get install socat)")
        printer_link = self.link_dir / "printer"
        kiosk_link = self.link_dir / "kiosk"
        for link in (printer_link, kiosk_link):
            with contextlib.suppress(FileNotFoundError):
                link.unlink()
        self._socat = subprocess.Popen(
            [exe, f"pty,raw,echo=0,link={printer_link}", f"pty,raw,echo=0,link={kiosk_link}"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while not (printer_link.exists() and kiosk_link.exists()):
            if self._socat.poll() is not None:
                stderr = self._socat.stderr
                err = stderr.read().decode(errors="replace") if stderr else ""
                raise EmulatorError(f"socat exited: {err.strip()}")
            if time.monotonic() > deadline:
                self._kill_socat()
                raise EmulatorError("socat did not create the pty pair within 10 s")
            time.sleep(0.01)
        fd = os.open(printer_link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(fd)
        self._fd = fd

    def _start_openpty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        os.set_blocking(master, False)
        kiosk_link = self.link_dir / "kiosk"
        tmp = self.link_dir / "kiosk.tmp"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, kiosk_link)
        self._fd, self._spare_fd = master, slave

    def _kill_socat(self) -> None:
        proc, self._socat = self._socat, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr:
            proc.stderr.close()

    def disconnect(self) -> None:
        """The printer vanishes: the pty pair (socat) or the TCP connection goes away."""
        self._kill_socat()
        fds, self._fd, self._spare_fd = (self._fd, self._spare_fd), None, None
        for fd in fds:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        if self.backend == "openpty":
            with contextlib.suppress(FileNotFoundError):
                (self.link_dir / "kiosk").unlink()
        if self.backend == "tcp" and self._server is not None:
            with contextlib.suppress(OSError):
                self._server.close()
            self._server = None

    # ------------------------------------------------------------------- reading
    def source(self) -> Source | None:
        """What to read from now (accepting a waiting TCP connection), if anything."""
        if self.backend == "tcp":
            if self._conn is None and self._server is not None:
                with contextlib.suppress(BlockingIOError, OSError):
                    conn, _ = self._server.accept()
                    conn.setblocking(False)
                    self._conn = conn
            return self._conn
        return self._fd

    def lost(self, source: Source, generation: int) -> None:
        """``source`` of connection ``generation`` reached its end (socat killed,
        connection closed): drop it, unless it belongs to an older connection."""
        if self.backend == "tcp":
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()
        elif self._fd == source and self.generation == generation:
            self.disconnect()


def readable(source: Source, timeout: float) -> bool:
    """Whether ``source`` has data (or its end) within ``timeout``; False once closed."""
    try:
        fileno = source if isinstance(source, int) else source.fileno()
        ready, _, _ = select.select([fileno], [], [], timeout)
    except (OSError, ValueError):  # closed by disconnect() meanwhile
        return False
    return bool(ready)


def receive(source: Source, size: int) -> bytes:
    """Up to ``size`` bytes; ``b""`` at the end. Raises ``BlockingIOError`` if none yet."""
    try:
        return os.read(source, size) if isinstance(source, int) else source.recv(size)
    except BlockingIOError:
        raise
    except OSError:
        return b""


def send(source: Source, data: bytes) -> None:
    """An answer to the sender; lost silently if the link is gone, as on a real wire."""
    with contextlib.suppress(OSError):
        if isinstance(source, int):
            os.write(source, data)
        else:
            source.sendall(data)
