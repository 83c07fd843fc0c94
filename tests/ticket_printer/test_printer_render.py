"""The ticket as printed: content, sizes, byte budget, raster fallback, logo, cut."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image
from pydantic import ValidationError

from ticket_printer import FileSettings, Printer, PrinterProfile
from ticket_printer.escpos.decoded import Cut, NvLogo, QrCode, RasterImage, TextLine
from ticket_printer.escpos.decoder import decode_for_profile
from ticket_printer.escpos.tokens import tokens
from ticket_printer.render import render_logo_definition, render_ticket


@pytest.mark.parametrize("mode", ["tcvn3", "cp1258"])
def test_standard_ticket_prints_every_field(mode, ticket, standard_lines, standard_qr) -> None:
    profile = PrinterProfile(mode=mode)
    job = decode_for_profile(render_ticket(ticket, profile), profile)
    expected = list(standard_lines)
    if mode == "cp1258":
        expected[1] = "Tư pháp – Hộ tịch"  # WPC1258 has the en dash
    assert job.text_lines == expected
    lines = {line.text: line for line in job.lines}
    number = lines["A023"].spans[0]
    assert (number.width, number.height) == (8, 8) and lines["A023"].align == "center"
    mark = lines[expected[3]].spans[0]
    assert mark.invert and mark.bold
    assert lines[expected[1]].spans[0].height == 2
    assert job.qr_codes == [standard_qr]
    assert isinstance(job.blocks[-1], Cut) and len(job.cuts) == 1
    assert job.inits == 1


@pytest.mark.parametrize("mode", ["tcvn3", "cp1258"])
def test_standard_text_ticket_with_qr_is_at_most_400_bytes(mode, ticket) -> None:
    data = render_ticket(ticket, PrinterProfile(mode=mode))
    assert len(data) <= 400, len(data)


def test_full_raster_ticket_costs_over_a_hundred_times_more(ticket) -> None:
    text = render_ticket(ticket, PrinterProfile())
    full = render_ticket(ticket, PrinterProfile(mode="raster", raster_scope="full"))
    assert len(full) > 100 * len(text)


def test_feed_and_cut_is_one_command(ticket) -> None:
    for cut, expected in (("partial", (66, 3)), ("full", (65, 3))):
        data = render_ticket(ticket, PrinterProfile(cut=cut))
        cuts = [t for t in tokens(data) if t.kind == "cut"]
        assert [c.args for c in cuts] == [expected]
        assert data.endswith(b"\x1dV" + bytes(expected))  # no line feeds before it
    data = render_ticket(ticket, PrinterProfile(cut="none"))
    assert not [t for t in tokens(data) if t.kind == "cut"]


def test_issue_time_is_local_dd_mm_yyyy_24h(make_ticket) -> None:
    late = make_ticket(issued_at=datetime(2025, 12, 31, 17, 5, tzinfo=UTC))
    assert late.issued_text() == "01/01/2026 00:05"
    other = make_ticket(issued_at=datetime(2025, 3, 5, 15, 45, tzinfo=timezone(timedelta(hours=7))))
    assert other.issued_text() == "05/03/2025 15:45"
    with pytest.raises(ValidationError):
        make_ticket(issued_at=datetime(2025, 3, 5, 8, 17))  # naive: ambiguous


@pytest.mark.parametrize(
    ("minutes", "line"),
    [
        (12, "Thời gian chờ dự kiến: khoảng 12 phút"),
        (0, "Thời gian chờ dự kiến: dưới 1 phút"),
        (75, "Thời gian chờ dự kiến: khoảng 1 giờ 15 phút"),
    ],
)
def test_estimated_wait_wording(make_ticket, minutes, line) -> None:
    profile = PrinterProfile()
    job = decode_for_profile(
        render_ticket(make_ticket(estimated_wait_min=minutes), profile), profile
    )
    assert line in job.text_lines


def test_unknown_wait_and_no_priority_leave_their_lines_out(make_ticket) -> None:
    profile = PrinterProfile()
    t = make_ticket(estimated_wait_min=None, priority=None, qr=None, ticket_id="7F3A9C2E")
    job = decode_for_profile(render_ticket(t, profile), profile)
    assert not any("dự kiến" in line or "ƯU TIÊN" in line for line in job.text_lines)
    assert job.qr_codes == [] and "Mã phiếu: 7F3A9C2E" in job.text_lines


@pytest.mark.parametrize("paper", [58, 80])
def test_everything_fits_the_paper_width(make_ticket, paper) -> None:
    profile = PrinterProfile(paper_mm=paper)
    long = make_ticket(
        office_name="Trung tâm Phục vụ hành chính công tỉnh Thừa Thiên Huế", number="B1024"
    )
    job = decode_for_profile(render_ticket(long, profile), profile)
    for line in job.lines:
        used = sum(len(s.text) * 12 * s.width for s in line.spans)
        assert used <= profile.dots, (line.text, used)
    big = next(line for line in job.lines if line.text == "B1024")
    assert big.spans[0].width == (8 if paper == 80 else 6)  # 5 × 12 dots × scale


def test_number_is_as_large_as_the_paper_allows() -> None:
    from ticket_printer.layout import NumberBlock
    from ticket_printer.render import TicketBuilder

    for paper, number, scale in (
        (80, "A023", 8),
        (58, "A023", 8),
        (58, "A1023", 6),
        (80, "A1023", 8),
    ):
        builder = TicketBuilder(PrinterProfile(paper_mm=paper))
        builder.number_block(NumberBlock(number))
        assert builder.output().startswith(b"\x1ba\x01\x1d!" + bytes([(scale - 1) * 17])), (
            paper,
            number,
        )


def test_logo_prints_from_nv_memory_with_eleven_bytes(make_ticket) -> None:
    profile = PrinterProfile(logo_key="LG")
    plain = render_ticket(make_ticket(), profile)
    with_logo = render_ticket(make_ticket(logo=True), profile)
    job = decode_for_profile(with_logo, profile)
    logos = [b for b in job.blocks if isinstance(b, NvLogo)]
    assert [(b.key, b.align) for b in logos] == [("LG", "center")]
    assert len(with_logo) - len(plain) == 11
    assert not job.nv_definitions  # defining is a separate, explicit command


def test_logo_definition_stores_the_image_under_its_key() -> None:
    logo = Image.new("1", (200, 60), 1)
    for x in range(20, 180):
        for y in range(10, 50):
            logo.putpixel((x, y), 0)
    profile = PrinterProfile(logo_key="M1")
    job = decode_for_profile(render_logo_definition(logo, profile), profile)
    stored = job.nv_definitions["M1"]
    assert stored.size == (200, 60)
    assert stored.getpixel((100, 30)) == 0 and stored.getpixel((5, 5)) == 255
    assert not job.printable


def test_raster_mode_draws_vietnamese_lines_and_keeps_number_and_qr_native(ticket) -> None:
    profile = PrinterProfile(mode="raster")
    data = render_ticket(ticket, profile)
    job = decode_for_profile(data, profile)
    assert job.codepages == []  # no code page at all
    assert [line for line in job.text_lines if line] == ["A023"]  # the only ASCII line
    assert job.qr_codes == [ticket.qr]
    images = [b for b in job.blocks if isinstance(b, RasterImage)]
    assert len(images) >= 8
    for image in images:
        ink = image.image.convert("L").histogram()[0]
        assert ink > 50, "a raster line must contain text"
        assert image.image.width <= profile.dots
    mark = images[2].image.convert("L")  # ƯU TIÊN, white on black
    assert mark.histogram()[0] > mark.histogram()[255]


def test_full_raster_ticket_is_one_image_in_bands(ticket) -> None:
    profile = PrinterProfile(mode="raster", raster_scope="full")
    job = decode_for_profile(render_ticket(ticket, profile), profile)
    assert job.text_lines == [] and job.qr_codes == []
    bands = [b for b in job.blocks if isinstance(b, RasterImage)]
    assert all(b.image.width == 576 and b.image.height <= 64 for b in bands)
    assert sum(b.image.height for b in bands) > 500


def test_ticket_is_built_in_memory_and_written_once(tmp_path, ticket) -> None:
    from ticket_printer.transports.file import FileTransport

    class CountingFile(FileTransport):
        writes = 0

        def write(self, data, timeout=None):
            CountingFile.writes += 1
            super().write(data, timeout)

    path = tmp_path / "printer.bin"
    profile = PrinterProfile(transport=FileSettings(path=path))
    with Printer(profile, CountingFile(profile.transport)) as printer:
        report = printer.print_ticket(ticket)
    assert CountingFile.writes == 1
    assert path.read_bytes() == render_ticket(ticket, profile)
    assert report.bytes_sent == path.stat().st_size


def test_decoded_qr_and_text_blocks_keep_their_order(ticket) -> None:
    profile = PrinterProfile()
    job = decode_for_profile(render_ticket(ticket, profile), profile)
    kinds = [type(b).__name__ for b in job.blocks if isinstance(b, TextLine | QrCode | Cut)]
    qr_at = kinds.index("QrCode")
    assert job.blocks[qr_at - 1].text == ""  # a blank line before the code
    assert kinds[-1] == "Cut"
