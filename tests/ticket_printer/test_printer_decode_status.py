"""The decoder the virtual printer relies on, and status byte interpretation."""

from __future__ import annotations

import pytest
from PIL import Image

from ticket_printer import PrinterProfile, PrinterStatus
from ticket_printer.escpos.decoder import decode, decode_for_profile
from ticket_printer.escpos.tokens import JobSplitter, max_command_size
from ticket_printer.raster import BAND_ROWS, gs_v0
from ticket_printer.render import render_ticket
from ticket_printer.status import interpret, is_valid_status_byte


@pytest.mark.parametrize("chunk", [1, 7, 333, 100_000])
def test_stream_split_into_jobs_at_cuts_whatever_the_read_size(chunk, make_ticket) -> None:
    profile = PrinterProfile(mode="raster")
    jobs = [render_ticket(make_ticket(number=n), profile) for n in ("A001", "A002", "B003")]
    stream = b"".join(jobs)
    splitter = JobSplitter()
    got: list[bytes] = []
    for i in range(0, len(stream), chunk):
        got += splitter.feed(stream[i : i + chunk])
    assert got == jobs
    assert not splitter.buffer


def test_cut_bytes_inside_image_data_do_not_end_the_job() -> None:
    # An image whose raster data spells GS V B 3 must not be taken for a cut.
    row = bytes([0x1D ^ 0xFF, ord("V") ^ 0xFF, ord("B") ^ 0xFF, 3 ^ 0xFF]) + b"\xff" * 4
    image = Image.frombytes("1", (64, 1), row)
    data = b"\x1b@" + gs_v0(image) + b"\x1dVB\x00"
    assert b"\x1dVB\x03" in data
    splitter = JobSplitter()
    assert splitter.feed(data) == [data]
    assert len(decode(data).cuts) == 1


def test_longest_command_bounds_the_resync_padding(ticket) -> None:
    text = render_ticket(ticket, PrinterProfile())
    assert max_command_size(text) < 100  # the QR store command
    full = render_ticket(ticket, PrinterProfile(mode="raster", raster_scope="full"))
    assert max_command_size(full) == 8 + 72 * BAND_ROWS


def test_sizes_alignment_and_styles_are_decoded() -> None:
    data = (
        b"\x1b@\x1ba\x02right\n\x1ba\x01\x1d!\x11big\n\x1d!\x00\x1bE\x01bold\x1bE\x00 "
        b"plain\n\x1b!\x30wide\n"
    )
    job = decode(data)
    right, big, mixed, wide = job.lines
    assert (right.text, right.align) == ("right", "right")
    assert (big.spans[0].width, big.spans[0].height, big.align) == (2, 2, "center")
    assert [(s.text, s.bold) for s in mixed.spans] == [("bold", True), (" plain", False)]
    assert (wide.spans[0].width, wide.spans[0].height) == (2, 2)


def test_unknown_code_page_shows_replacement_characters() -> None:
    job = decode_for_profile(b"\x1b@\x1bt\x1b\xb8\n", PrinterProfile())
    assert job.text_lines == ["\ufffd"] and job.unknown_pages == {27}


@pytest.mark.parametrize(
    ("printer", "cause", "paper", "expected"),
    [
        (0x12, None, 0x12, PrinterStatus.OK),
        (0x16, None, 0x12, PrinterStatus.OK),  # drawer pin high does not matter
        (0x12, None, 0x1E, PrinterStatus.PAPER_NEAR_END),
        (0x12, None, 0x16, PrinterStatus.PAPER_NEAR_END),  # one near-end bit is enough
        (0x1A, 0x32, None, PrinterStatus.PAPER_OUT),
        (0x1A, 0x12, 0x72, PrinterStatus.PAPER_OUT),
        (0x1A, 0x16, None, PrinterStatus.COVER_OPEN),
        (0x1A, 0x12, 0x12, PrinterStatus.OFFLINE),
        (None, None, None, PrinterStatus.OFFLINE),  # no answer at all
        (0xFF, None, None, PrinterStatus.UNKNOWN),  # noise, e.g. wrong baud rate
        (0x12, None, None, PrinterStatus.UNKNOWN),  # answered once, then silent
        (0x12, None, 0x03, PrinterStatus.UNKNOWN),
    ],
)
def test_status_bytes(printer, cause, paper, expected) -> None:
    assert interpret(printer, cause, paper) is expected


def test_status_byte_pattern() -> None:
    valid = [b for b in range(256) if is_valid_status_byte(b)]
    assert len(valid) == 16 and all(b & 0x12 == 0x12 and not b & 0x81 for b in valid)
    assert PrinterStatus.PAPER_NEAR_END.printable and not PrinterStatus.PAPER_OUT.printable
    assert PrinterStatus.COVER_OPEN.label_vi == "Nắp máy in đang mở"
