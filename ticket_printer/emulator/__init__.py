"""Virtual ESC/POS printer on a virtual serial port (socat pty pair) or TCP port.

Used by ``motcua printer emulate``, the demo and the tests:

* ``device.py``: :class:`VirtualPrinter`, the printer's state machine (modes, status
  answers, jobs, saved tickets);
* ``ports.py``: the pty pair or TCP listener the sender connects to;
* ``console.py``: :func:`serve_forever`, the printer run by hand from a console.
"""

from .console import serve_forever
from .device import EmulatedTicket, EmulatorMode, VirtualPrinter
from .ports import Backend, EmulatorError, choose_backend

__all__ = [
    "Backend",
    "EmulatedTicket",
    "EmulatorError",
    "EmulatorMode",
    "VirtualPrinter",
    "choose_backend",
    "serve_forever",
]
