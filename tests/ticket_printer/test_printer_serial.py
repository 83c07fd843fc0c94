"""Printing over a real virtual serial port: socat pty pair + simulated printer.

Time limits follow the issue (1 s for paper out / cover open, the write timeout for a
printer that stops reading) with a margin for a loaded 2-core machine.
"""

from __future__ import annotations

import threading
import time

import pytest
from PIL import Image

from tests.support.waiting import eventually
from ticket_printer import (
    CoverOpenError,
    PaperOutError,
    Printer,
    PrinterGoneError,
    PrinterOfflineError,
    PrinterStatus,
    PrinterTimeoutError,
)
from ticket_printer.render import render_ticket


def test_ticket_prints_over_the_virtual_serial_port(
    virtual_printer, serial_profile, ticket, standard_lines, standard_qr
) -> None:
    printer = Printer(serial_profile(virtual_printer, baudrate=9600))
    report = printer.print_ticket(ticket)
    assert report.status_before is PrinterStatus.OK
    [printed] = virtual_printer.wait_for_tickets(1, timeout=10)
    assert printed.text_lines == standard_lines
    assert printed.job.qr_codes == [standard_qr]
    assert printed.raw.endswith(render_ticket(ticket, printer.profile))
    image = Image.open(printed.png_path)
    assert image.width == 576 + 48 and image.height > 800
    assert "Số người chờ trước: 4" in printed.txt_path.read_text(encoding="utf-8")
    printer.close()


def test_paper_near_end_is_reported_and_the_ticket_still_prints(
    virtual_printer, serial_profile, ticket
) -> None:
    virtual_printer.set_mode("paper_near_end")
    with Printer(serial_profile(virtual_printer)) as printer:
        assert printer.check_status() is PrinterStatus.PAPER_NEAR_END
        report = printer.print_ticket(ticket)
    assert report.status_before is PrinterStatus.PAPER_NEAR_END
    assert virtual_printer.wait_for_tickets(1)[0].text_lines[2] == "A023"


@pytest.mark.parametrize(
    ("mode", "error", "status"),
    [
        ("paper_out", PaperOutError, PrinterStatus.PAPER_OUT),
        ("cover_open", CoverOpenError, PrinterStatus.COVER_OPEN),
    ],
)
def test_paper_out_and_cover_open_raise_within_one_second_then_recover(
    virtual_printer, serial_profile, ticket, mode, error, status
) -> None:
    virtual_printer.set_mode(mode)
    with Printer(serial_profile(virtual_printer)) as printer:
        started = time.monotonic()
        with pytest.raises(error) as caught:
            printer.print_ticket(ticket)
        assert time.monotonic() - started < 1.0
        assert caught.value.status is status
        assert printer.check_status() is status
        time.sleep(0.3)  # not a wait: time for a ticket sent by mistake to arrive
        assert virtual_printer.tickets == []  # nothing was sent
        virtual_printer.set_mode("ok")
        printer.print_ticket(ticket)
    [printed] = virtual_printer.wait_for_tickets(1)
    assert printed.text_lines[0] == "Bộ phận Một cửa UBND xã Gia Lộc"


def test_silent_printer_is_offline_unless_status_replies_are_optional(
    virtual_printer, serial_profile, ticket
) -> None:
    virtual_printer.set_mode("silent")
    strict = Printer(serial_profile(virtual_printer))
    started = time.monotonic()
    with pytest.raises(PrinterOfflineError):
        strict.print_ticket(ticket)
    assert time.monotonic() - started < 1.0 + 0.5  # one 0.5 s status read, no retries
    strict.close()
    lenient = Printer(serial_profile(virtual_printer, require_status_reply=False))
    lenient.print_ticket(ticket)
    lenient.close()
    assert virtual_printer.wait_for_tickets(1)[0].text_lines[2] == "A023"


def test_printer_that_stops_reading_mid_ticket_times_out_and_the_next_ticket_prints(
    virtual_printer, serial_profile, make_ticket, standard_lines
) -> None:
    write_timeout = 1.0
    raster = Printer(
        serial_profile(
            virtual_printer, mode="raster", raster_scope="full", write_timeout_s=write_timeout
        )
    )
    big = render_ticket(make_ticket(), raster.profile)
    assert len(big) > 40_000  # more than the pty pair and socat can buffer
    virtual_printer.set_mode("stalled", after_bytes=3000)
    started = time.monotonic()
    with pytest.raises(PrinterTimeoutError):
        raster.print_ticket(make_ticket())
    elapsed = time.monotonic() - started
    assert write_timeout * 0.9 <= elapsed < write_timeout + 1.0
    assert virtual_printer.tickets == []

    virtual_printer.set_mode("ok")  # the fault clears
    text = Printer(raster.profile.model_copy(update={"mode": "tcvn3"}), raster.transport)
    text.print_ticket(make_ticket(number="A024"))
    tickets = virtual_printer.wait_for_tickets(2, timeout=15)
    remnant, last = tickets[-2], tickets[-1]
    # The half-received raster ticket came off as a slip of its own…
    assert remnant.job.images and remnant.job.cuts
    # …and the next ticket is complete and correct.
    assert last.text_lines == [*standard_lines[:2], "A024", *standard_lines[3:]]
    text.close()


def test_printer_that_disappears_raises_gone_and_prints_again_when_back(
    virtual_printer, serial_profile, ticket
) -> None:
    printer = Printer(serial_profile(virtual_printer))
    printer.print_ticket(ticket)
    virtual_printer.wait_for_tickets(1)
    virtual_printer.disconnect()  # socat killed: the pty pair is gone
    started = time.monotonic()
    with pytest.raises(PrinterGoneError):
        printer.print_ticket(ticket)
    assert time.monotonic() - started < 1.0
    assert printer.check_status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterGoneError):  # still gone: the port cannot be reopened
        printer.print_ticket(ticket)
    virtual_printer.reconnect()
    # The kiosk polls the status: the printer reads OK again once socat relays (a fresh
    # pty pair can miss the first 0.5 s status answer on a busy machine).
    eventually(lambda: printer.check_status() is PrinterStatus.OK, "printer OK after replugging")
    printer.print_ticket(ticket)
    assert len(virtual_printer.wait_for_tickets(2)) == 2
    # Unplugged and plugged back between two tickets: the very next ticket prints.
    virtual_printer.disconnect()
    with pytest.raises(PrinterGoneError):
        printer.print_ticket(ticket)
    virtual_printer.reconnect()
    printer.print_ticket(ticket)
    assert len(virtual_printer.wait_for_tickets(3)) == 3
    printer.close()


def test_printer_that_vanishes_during_a_blocked_write_raises_gone_promptly(
    virtual_printer, serial_profile, ticket
) -> None:
    printer = Printer(
        serial_profile(virtual_printer, mode="raster", raster_scope="full", write_timeout_s=5.0)
    )
    virtual_printer.set_mode("stalled", after_bytes=1000)
    threading.Timer(0.3, virtual_printer.disconnect).start()
    started = time.monotonic()
    with pytest.raises(PrinterGoneError):
        printer.print_ticket(ticket)
    assert time.monotonic() - started < 2.0  # well before the 5 s write timeout
    printer.close()


def test_slow_printer_still_gets_the_whole_ticket(
    virtual_printer, serial_profile, ticket, standard_lines
) -> None:
    virtual_printer.slow_bps = 2400
    virtual_printer.set_mode("slow")
    with Printer(serial_profile(virtual_printer, baudrate=19200)) as printer:
        started = time.monotonic()
        printer.print_ticket(ticket)
        printer.print_ticket(ticket)  # the status query waits behind the first ticket
        [first, second] = virtual_printer.wait_for_tickets(2, timeout=10)
    assert time.monotonic() - started >= 2 * 365 / 2400 * 0.8
    assert first.text_lines == second.text_lines == standard_lines
