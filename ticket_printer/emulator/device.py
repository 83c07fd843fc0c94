"""The virtual ESC/POS printer itself: modes, status answers, jobs and saved tickets.

It answers ``DLE EOT`` like an Epson (real time, as bytes arrive), can be switched to
paper near end, paper out, cover open, silent (prints but never answers status),
stalled (stops reading, optionally after N more bytes, so the sender's buffers fill)
or slow (reads at a 9600-baud pace). Every job it receives up to a cut is decoded
(code pages incl. TCVN-3 and WPC1258, sizes, alignment, QR, raster, NV logo) and saved as
``ticket-NNNN.png``, ``.txt`` and ``.bin``. The port it listens on (pty pair or TCP) is
``ports.py``; this module is the printer's state machine.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..encoding import page_decoders
from ..escpos.decoded import DecodedJob
from ..escpos.decoder import Decoder
from ..escpos.tokens import JobSplitter
from ..preview import save_job_png
from ..profile import PrinterProfile
from . import ports
from .ports import Backend, PrinterPort, Source

log = logging.getLogger(__name__)


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
        self.slow_bps = slow_bps
        self.idle_flush_s = idle_flush_s
        self.save_files = save_files and self.out_dir is not None
        self.on_ticket = on_ticket
        self.nv_store: dict[str, Image.Image] = {}
        self.bytes_received = 0
        self.status_answers = 0

        self._port = PrinterPort(backend, link_dir, tcp_port)
        self._mode = EmulatorMode(mode)
        self._stall_budget = 0
        self._cond = threading.Condition()
        self._tickets: list[EmulatedTicket] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._splitter = JobSplitter()
        self._pending_jobs: list[bytes] = []
        self._decoder = Decoder(page_decoders(self.profile.tcvn_pages, self.profile.cp1258_page))
        self._rt_tail = b""
        self._last_data = time.monotonic()

    # ---------------------------------------------------------------- properties
    @property
    def device_path(self) -> str:
        """Serial device for the kiosk (socat/openpty), or ``host:port`` (tcp)."""
        return self._port.device_path

    @property
    def backend(self) -> Backend:
        return self._port.backend

    @property
    def link_dir(self) -> Path:
        """Directory of the ``kiosk`` pty link (a temporary one unless given)."""
        return self._port.link_dir

    @property
    def tcp_port(self) -> int:
        """The TCP port listened on (tcp backend; chosen at start when given as 0)."""
        return self._port.tcp_port

    @property
    def mode(self) -> EmulatorMode:
        return self._mode

    @property
    def tickets(self) -> list[EmulatedTicket]:
        with self._cond:
            return list(self._tickets)

    @property
    def connected(self) -> bool:
        return self._port.connected

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> VirtualPrinter:
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        self._port.start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="virtual-printer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._port.close()

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
            self._port.disconnect()

    def reconnect(self) -> None:
        """The printer comes back on the same device path."""
        with self._cond:
            self._port.connect()

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

    # ------------------------------------------------------------------ main loop
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:  # keep the printer alive; the log says what went wrong
                log.exception("virtual printer: step failed, still running")
                time.sleep(0.05)

    def _step(self) -> None:
        with self._cond:
            mode, budget = self._mode, self._stall_budget
            source = self._port.source()
            generation = self._port.generation
        self._maybe_print_pending(mode)
        if source is None or (mode is EmulatorMode.STALLED and budget <= 0):
            time.sleep(0.02)
            return
        if not ports.readable(source, 0.05):
            return
        with self._cond:  # the mode may have changed while waiting
            mode, budget = self._mode, self._stall_budget
        if mode is EmulatorMode.STALLED and budget <= 0:
            return
        try:
            data = ports.receive(source, self._read_size(mode, budget))
        except BlockingIOError:
            return
        if not data:  # the other side vanished (socat killed, connection closed)
            with self._cond:
                self._port.lost(source, generation)
            return
        self._received(data, source)

    def _read_size(self, mode: EmulatorMode, budget: int) -> int:
        size = 65536
        if mode is EmulatorMode.SLOW:
            size = max(1, self.slow_bps // 20)
        if mode is EmulatorMode.STALLED:
            size = min(size, budget)
        return size

    def _received(self, data: bytes, source: Source) -> None:
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

    def _answer_realtime(self, data: bytes, mode: EmulatorMode, source: Source) -> None:
        """Answer ``DLE EOT n`` as it arrives, like the real-time command processor."""
        buf = self._rt_tail + data
        replies = STATUS_REPLIES.get(mode)
        i = buf.find(b"\x10\x04")
        while i != -1 and i + 2 < len(buf):
            n = buf[i + 2]
            if replies is not None and n in replies:
                ports.send(source, bytes([replies[n]]))
                self.status_answers += 1
            i = buf.find(b"\x10\x04", i + 3)
        if buf.endswith(b"\x10\x04"):
            self._rt_tail = b"\x10\x04"
        elif buf.endswith(b"\x10"):
            self._rt_tail = b"\x10"
        else:
            self._rt_tail = b""

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
