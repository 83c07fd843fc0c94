"""Vietnamese queue tickets on ESC/POS printers.

A library of its own (python-escpos, pyserial, Pillow, qrcode, pydantic; no project
imports). The kiosk uses::

    from ticket_printer import Printer, PrinterProfile, Ticket, PrinterError

    printer = Printer(PrinterProfile.model_validate(config["printer"]))
    try:
        printer.print_ticket(Ticket(...))
    except PrinterError as exc:
        show_number_on_screen(); report_health(exc.status)
"""

from . import _escpos_cache  # noqa: F401 - first: must run before escpos is imported
from .errors import (
    CoverOpenError,
    PaperOutError,
    PrinterConfigError,
    PrinterError,
    PrinterGoneError,
    PrinterOfflineError,
    PrinterTimeoutError,
)
from .layout import Ticket, TicketLabels
from .printer import Printer, PrintReport
from .profile import FileSettings, PrinterProfile, SerialSettings, TcpSettings, UsbSettings
from .render import render_test_page, render_ticket
from .status import PrinterStatus

__all__ = [
    "CoverOpenError",
    "FileSettings",
    "PaperOutError",
    "PrintReport",
    "Printer",
    "PrinterConfigError",
    "PrinterError",
    "PrinterGoneError",
    "PrinterOfflineError",
    "PrinterProfile",
    "PrinterStatus",
    "PrinterTimeoutError",
    "SerialSettings",
    "TcpSettings",
    "Ticket",
    "TicketLabels",
    "UsbSettings",
    "render_test_page",
    "render_ticket",
]
