"""The virtual printer run by hand: mode commands typed on a console, until ``quit``.

The loop of ``motcua printer emulate``, kept in the library so that any front end (the
command line, a script) runs the printer the same way; what it prints goes through the
``say`` callback, so the library writes nothing to the terminal itself.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable

from .device import VirtualPrinter


def serve_forever(
    printer: VirtualPrinter, commands: Iterable[str], say: Callable[[str], None]
) -> None:
    """Run a started ``printer`` until ``quit`` (or ``exit``, ``q``), the end of
    ``commands``, SIGTERM or Ctrl-C; then stop it.

    Each line of ``commands`` is a mode (``paper_out``, ``stalled 4096``…) to switch to.
    Call from the main thread: that is where Python delivers signals.
    """
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def read_commands() -> None:
        for line in commands:
            word = line.strip().lower()
            if not word:
                continue
            if word in ("quit", "exit", "q"):
                break
            _switch(printer, word, say)
        stop.set()

    threading.Thread(target=read_commands, daemon=True).start()
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        printer.stop()
        say(f"Đã dừng / stopped ({len(printer.tickets)} vé / tickets)")


def _switch(printer: VirtualPrinter, command: str, say: Callable[[str], None]) -> None:
    """``MODE [AFTER_BYTES]``: switch the printer's mode, or say the command is unknown."""
    words = command.split()
    try:
        printer.set_mode(words[0], after_bytes=int(words[1]) if len(words) > 1 else 0)
        say(f"Chế độ / mode: {printer.mode.value}")
    except ValueError:
        say(f"Không hiểu / unknown: {command}")
