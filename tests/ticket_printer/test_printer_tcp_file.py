"""TCP port 9100 and file/device transports: same contract, bounded in time."""

from __future__ import annotations

import socket
import time

import pytest

from ticket_printer import (
    FileSettings,
    Printer,
    PrinterGoneError,
    PrinterProfile,
    PrinterStatus,
    PrinterTimeoutError,
    TcpSettings,
)
from ticket_printer.emulator import VirtualPrinter
from ticket_printer.render import render_ticket


@pytest.fixture
def tcp_printer(tmp_path):
    vp = VirtualPrinter(tmp_path / "printed", backend="tcp")
    vp.start()
    try:
        yield vp
    finally:
        vp.stop()


def _profile(vp: VirtualPrinter, **changes) -> PrinterProfile:
    return PrinterProfile(
        transport=TcpSettings(host="127.0.0.1", port=vp.tcp_port, write_timeout_s=1.0), **changes
    )


def test_tcp_print_and_status(tcp_printer, ticket, standard_lines) -> None:
    with Printer(_profile(tcp_printer)) as printer:
        assert printer.check_status() is PrinterStatus.OK
        printer.print_ticket(ticket)
        assert tcp_printer.wait_for_tickets(1)[0].text_lines == standard_lines
        tcp_printer.set_mode("paper_out")
        assert printer.check_status() is PrinterStatus.PAPER_OUT


def test_tcp_printer_that_stops_reading_times_out(tcp_printer) -> None:
    with Printer(_profile(tcp_printer)) as printer:
        assert printer.check_status() is PrinterStatus.OK
        tcp_printer.set_mode("stalled")
        started = time.monotonic()
        with pytest.raises(PrinterTimeoutError):
            # Far more than the socket buffers hold: the send must block, then give up.
            printer.transport.write(b"\x00" * 16_000_000)
        assert time.monotonic() - started < 1.0 + 1.5


def test_tcp_printer_that_is_not_there_fails_fast(ticket) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    profile = PrinterProfile(transport=TcpSettings(host="127.0.0.1", port=port))
    with Printer(profile) as printer:
        started = time.monotonic()
        with pytest.raises(PrinterGoneError):
            printer.print_ticket(ticket)
        assert printer.check_status() is PrinterStatus.OFFLINE
    assert time.monotonic() - started < 2.0


def test_tcp_printer_that_drops_the_connection_is_reconnected(tcp_printer, ticket) -> None:
    printer = Printer(_profile(tcp_printer))
    printer.print_ticket(ticket)
    tcp_printer.wait_for_tickets(1)
    tcp_printer.disconnect()
    with pytest.raises(PrinterGoneError):
        printer.print_ticket(ticket)
    tcp_printer.reconnect()
    assert printer.check_status() is PrinterStatus.OK
    printer.print_ticket(ticket)
    assert len(tcp_printer.wait_for_tickets(2)) == 2
    printer.close()


def test_file_transport_appends_exact_bytes_and_reports_unknown_status(tmp_path, ticket) -> None:
    path = tmp_path / "capture.bin"
    profile = PrinterProfile(transport=FileSettings(path=path))
    with Printer(profile) as printer:
        assert printer.check_status() is PrinterStatus.UNKNOWN
        printer.print_ticket(ticket)
        printer.print_ticket(ticket)
    assert path.read_bytes() == render_ticket(ticket, profile) * 2


def test_file_transport_into_a_missing_directory_is_a_typed_error(tmp_path, ticket) -> None:
    profile = PrinterProfile(transport=FileSettings(path=tmp_path / "no" / "such" / "lp0"))
    with Printer(profile) as printer, pytest.raises(PrinterGoneError):
        printer.print_ticket(ticket)
