"""Virtual ESC/POS printer on a virtual serial port (socat pty pair) or TCP port.

It answers ``DLE EOT`` like an Epson (real time, as bytes arrive), can be switched to
paper near end, paper out, cover open, silent (prints but never answers status),
stalled (stops reading, optionally after N more bytes, so the sender's buffers fill)
or slow (reads at a 9600-baud pace). Every job it receives up to a cut is decoded
(code pages incl. TCVN-3 and WPC1258, sizes, alignment, QR, raster, NV logo) and saved as
``ticket-NNNN.png``, ``.txt`` and ``.bin``. Used by ``motcua printer emulate``, the
demo and the tests.
"""

from __future__ import annotations

import contextlib
import enum
import os
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image

from .decode import DecodedJob, Decoder, JobSplitter
from .encoding import page_decoders
from .preview import save_job_png
from .profile import PrinterProfile


class EmulatorError(RuntimeError):
    """The virtual printer could not start (socat missing, port busy…)."""


class EmulatorMode(enum.StrEnum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    #: Reads and prints but never answers status queries.
    SILENT = "silent"
    #: Stops reading (after ``after_bytes`` more bytes): the sender's write blocks.
    STALLED = "stalled"
    #: Reads at ``slow_bps`` bytes per second (960 ≈ a 9600-baud line).
    SLOW = "slow"


_OK = 0x12
#: Answers to DLE EOT 1, 2, 3, 4 per mode (Epson bit layout, fixed bits 0xx1xx10).
STATUS_REPLIES: dict[EmulatorMode, dict[int, int]] = {
    EmulatorMode.OK: {1: _OK, 2: _OK, 3: _OK, 4: _OK},
    EmulatorMode.SLOW: {1: _OK, 2: _OK, 3: _OK, 4: _OK},
    # Stalled answers while it still reads (``after_bytes``), then reads nothing at all.
    EmulatorMode.STALLED: {1: _OK, 2: _OK, 3: _OK, 4: _OK},
    EmulatorMode.PAPER_NEAR_END: {1: _OK, 2: _OK, 3: _OK, 4: _OK | 0x0C},
    EmulatorMode.PAPER_OUT: {1: _OK | 0x08, 2: _OK | 0x20 | 0x40, 3: _OK, 4: _OK | 0x0C | 0x60},
    EmulatorMode.COVER_OPEN: {1: _OK | 0x08, 2: _OK | 0x04 | 0x40, 3: _OK, 4: _OK},
}
_PRINTING = {
    EmulatorMode.OK,
    EmulatorMode.SLOW,
    EmulatorMode.PAPER_NEAR_END,
    EmulatorMode.SILENT,
    EmulatorMode.STALLED,
}


@dataclass
class EmulatedTicket:
    """One job the virtual printer printed and cut."""

    index: int
    raw: bytes
    job: DecodedJob
    received_at: float
    png_path: Path | None = None
    txt_path: Path | None = None

    @property
    def text(self) -> str:
        return self.job.text

    @property
    def text_lines(self) -> list[str]:
        return self.job.text_lines


Backend = Literal["socat", "openpty", "tcp"]


class VirtualPrinter:
    """A simulated printer; ``device_path`` is what the kiosk opens.

    Use as a context manager, or :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        out_dir: str | Path | None = None,
        *,
        profile: PrinterProfile | None = None,
        mode: EmulatorMode | str = EmulatorMode.OK,
        backend: Backend = "socat",
        link_dir: str | Path | None = None,
        tcp_port: int = 0,
        slow_bps: int = 960,
        idle_flush_s: float = 1.0,
        save_files: bool = True,
        on_ticket: Callable[[EmulatedTicket], None] | None = None,
    ) -> None:
        self.profile = profile or PrinterProfile()
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.backend = backend
        self._own_link_dir = link_dir is None
        self.link_dir = Path(link_dir) if link_dir else Path(tempfile.mkdtemp(prefix="motcua-vp-"))
        self.tcp_port = tcp_port
        self.slow_bps = slow_bps
        self.idle_flush_s = idle_flush_s
        self.save_files = save_files and self.out_dir is not None
        self.on_ticket = on_ticket
        self.nv_store: dict[str, Image.Image] = {}
        self.bytes_received = 0
        self.status_answers = 0

        self._mode = EmulatorMode(mode)
        self._stall_budget = 0
        self._cond = threading.Condition()
        self._tickets: list[EmulatedTicket] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._socat: subprocess.Popen | None = None
        self._fd: int | None = None
        #: Bumped at each (re)connection: what the reader saw of an older connection
        #: (its fd number may be reused by the new one) must not end the new one.
        self._generation = 0
        self._spare_fd: int | None = None  # openpty: our copy of the slave side
        self._server: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._splitter = JobSplitter()
        self._pending_jobs: list[bytes] = []
        self._decoder = Decoder(page_decoders(self.profile.tcvn_pages, self.profile.cp1258_page))
        self._rt_tail = b""
        self._last_data = time.monotonic()

    # ---------------------------------------------------------------- properties
    @property
    def device_path(self) -> str:
        """Serial device for the kiosk (socat/openpty), or ``host:port`` (tcp)."""
        if self.backend == "tcp":
            return f"127.0.0.1:{self.tcp_port}"
        return str(self.link_dir / "kiosk")

    @property
    def mode(self) -> EmulatorMode:
        return self._mode

    @property
    def tickets(self) -> list[EmulatedTicket]:
        with self._cond:
            return list(self._tickets)

    @property
    def connected(self) -> bool:
        return self._fd is not None or self._conn is not None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> VirtualPrinter:
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        self.link_dir.mkdir(parents=True, exist_ok=True)
        self._connect()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="virtual-printer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._disconnect()
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.close()
            self._server = None
        if self._own_link_dir:
            shutil.rmtree(self.link_dir, ignore_errors=True)

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_mode(self, mode: EmulatorMode | str, *, after_bytes: int = 0) -> None:
        """Switch behaviour; ``after_bytes`` (stalled only): read that many more first."""
        with self._cond:
            self._mode = EmulatorMode(mode)
            self._stall_budget = after_bytes if self._mode is EmulatorMode.STALLED else 0

    def disconnect(self) -> None:
        """The printer vanishes: the pty pair (socat) or the TCP connection goes away."""
        with self._cond:
            self._disconnect()

    def reconnect(self) -> None:
        """The printer comes back on the same device path."""
        with self._cond:
            self._connect()

    def wait_for_tickets(self, count: int, timeout: float = 10.0) -> list[EmulatedTicket]:
        """Block until at least ``count`` tickets were printed; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._tickets) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"virtual printer: {len(self._tickets)} of {count} tickets "
                        f"after {timeout:g} s"
                    )
                self._cond.wait(remaining)
            return list(self._tickets)

    # --------------------------------------------------------------- connections
    def _connect(self) -> None:
        self._generation += 1
        if self.backend == "socat":
            self._start_socat()
        elif self.backend == "openpty":
            self._start_openpty()
        elif self.backend == "tcp":
            if self._server is None:
                server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                # A printer has a small receive buffer; accepted sockets inherit this.
                server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
                server.bind(("127.0.0.1", self.tcp_port))
                server.listen(1)
                server.setblocking(False)
                self.tcp_port = server.getsockname()[1]
                self._server = server
        else:
            raise EmulatorError(f"unknown backend {self.backend!r}")

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

    def _disconnect(self) -> None:
        self._kill_socat()
        for attr in ("_fd", "_spare_fd"):
            fd = getattr(self, attr)
            setattr(self, attr, None)
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

    # ------------------------------------------------------------------ main loop
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception as exc:  # keep the printer alive; report like firmware would
                print(f"virtual printer: {type(exc).__name__}: {exc}", flush=True)
                time.sleep(0.05)

    def _source(self) -> int | socket.socket | None:
        if self.backend == "tcp":
            if self._conn is None and self._server is not None:
                with contextlib.suppress(BlockingIOError, OSError):
                    conn, _ = self._server.accept()
                    conn.setblocking(False)
                    self._conn = conn
            return self._conn
        return self._fd

    def _step(self) -> None:
        with self._cond:
            mode = self._mode
            source = self._source()
            budget = self._stall_budget
            generation = self._generation
        self._maybe_print_pending(mode)
        if source is None or (mode is EmulatorMode.STALLED and budget <= 0):
            time.sleep(0.02)
            return
        try:
            fileno = source if isinstance(source, int) else source.fileno()
            readable, _, _ = select.select([fileno], [], [], 0.05)
        except (OSError, ValueError):  # closed by disconnect() meanwhile
            return
        if not readable:
            return
        with self._cond:  # the mode may have changed while waiting
            mode, budget = self._mode, self._stall_budget
        if mode is EmulatorMode.STALLED and budget <= 0:
            return
        size = 65536
        if mode is EmulatorMode.SLOW:
            size = max(1, self.slow_bps // 20)
        if mode is EmulatorMode.STALLED:
            size = min(size, budget)
        try:
            data = os.read(fileno, size) if isinstance(source, int) else source.recv(size)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the other side vanished (socat killed, connection closed)
            with self._cond:
                if self.backend == "tcp":
                    conn, self._conn = self._conn, None
                    if conn is not None:
                        conn.close()
                elif self._fd == source and self._generation == generation:
                    self._disconnect()
            return
        with self._cond:
            mode = self._mode  # may have changed while waiting for data
            if mode is EmulatorMode.STALLED:
                self._stall_budget = max(0, self._stall_budget - len(data))
        self.bytes_received += len(data)
        self._last_data = time.monotonic()
        self._answer_realtime(data, mode, source)
        if mode is EmulatorMode.SLOW:
            time.sleep(len(data) / self.slow_bps)
        jobs = self._splitter.feed(data)
        self._pending_jobs.extend(jobs)
        self._maybe_print_pending(mode)

    def _answer_realtime(self, data: bytes, mode: EmulatorMode, source) -> None:
        """Answer ``DLE EOT n`` as it arrives, like the real-time command processor."""
        buf = self._rt_tail + data
        replies = STATUS_REPLIES.get(mode)
        i = buf.find(b"\x10\x04")
        while i != -1 and i + 2 < len(buf):
            n = buf[i + 2]
            if replies is not None and n in replies:
                self._reply(source, bytes([replies[n]]))
                self.status_answers += 1
            i = buf.find(b"\x10\x04", i + 3)
        if buf.endswith(b"\x10\x04"):
            self._rt_tail = b"\x10\x04"
        elif buf.endswith(b"\x10"):
            self._rt_tail = b"\x10"
        else:
            self._rt_tail = b""

    def _reply(self, source, data: bytes) -> None:
        with contextlib.suppress(OSError):
            if isinstance(source, int):
                os.write(source, data)
            else:
                source.sendall(data)

    def _maybe_print_pending(self, mode: EmulatorMode) -> None:
        if mode not in _PRINTING:
            return  # paper out / cover open: keep the data, print when it clears
        if (
            not self._pending_jobs
            and self._splitter.buffer
            and self._splitter.at_boundary
            and time.monotonic() - self._last_data > self.idle_flush_s
        ):
            self._pending_jobs.append(self._splitter.flush())
        while self._pending_jobs:
            self._print(self._pending_jobs.pop(0))

    def _print(self, raw: bytes) -> None:
        job = self._decoder.decode(raw)
        self.nv_store.update(job.nv_definitions)
        if self.out_dir is not None and self.save_files:
            for key, image in job.nv_definitions.items():
                safe = "".join(c if c.isalnum() else "_" for c in key)
                image.save(self.out_dir / f"nv-{safe}.png")
        if not job.printable:
            return
        with self._cond:
            index = len(self._tickets) + 1
        ticket = EmulatedTicket(index, raw, job, time.time())
        if self.out_dir is not None and self.save_files:
            stem = self.out_dir / f"ticket-{index:04d}"
            ticket.png_path = save_job_png(
                job, stem.with_suffix(".png"), self.profile.dots, self.nv_store
            )
            ticket.txt_path = stem.with_suffix(".txt")
            ticket.txt_path.write_text(job.describe() + "\n", encoding="utf-8")
            stem.with_suffix(".bin").write_bytes(raw)
        with self._cond:
            self._tickets.append(ticket)
            self._cond.notify_all()
        if self.on_ticket is not None:
            self.on_ticket(ticket)
