"""USB transport without a printer attached: a clear, typed error, at once."""

from __future__ import annotations

import time

import pytest

from ticket_printer.errors import PrinterGoneError
from ticket_printer.printer import Printer
from ticket_printer.profile import PrinterProfile, UsbSettings
from ticket_printer.status import PrinterStatus


def test_an_absent_usb_printer_is_offline_and_printing_raises_gone() -> None:
    # 04b8:0e28 is an Epson TM-T20III id; nothing is plugged into this machine.
    profile = PrinterProfile(transport=UsbSettings(vendor_id="04b8", product_id="0e28"))
    printer = Printer(profile)
    t0 = time.monotonic()
    assert printer.check_status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterGoneError, match="04b8:0e28"):
        printer.print_job(b"\x1b@hello\n")
    assert time.monotonic() - t0 < 2.0
