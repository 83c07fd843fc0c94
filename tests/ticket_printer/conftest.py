"""Shared fixtures: the standard ticket, profiles, a virtual printer on a socat pty pair.

Only fixtures live here (test modules do not import this file): test file names carry a
``test_printer_`` prefix so they cannot clash with other packages' tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.services import unavailable
from ticket_printer import PrinterProfile, SerialSettings, Ticket
from ticket_printer.emulator import VirtualPrinter

#: What the standard ticket prints in tcvn3 mode, line by line (the en dash becomes "-").
STANDARD_LINES = [
    "Bộ phận Một cửa UBND xã Gia Lộc",
    "Tư pháp - Hộ tịch",
    "A023",
    " ƯU TIÊN - Người cao tuổi ",
    "Số người chờ trước: 4",
    "Thời gian chờ dự kiến: khoảng 12 phút",
    "Lấy số lúc: 05/03/2025 08:17",
    "",
    "Quét mã để theo dõi lượt và đánh giá",
    "Xin chào và xin cảm ơn quý khách!",
]
STANDARD_QR = "https://motcua.example/t/A023-7F3A9C"


def _require_socat() -> None:
    """socat is part of the test contract: missing it fails in CI, skips elsewhere."""
    if shutil.which("socat"):
        return
    unavailable("socat is required for the virtual serial port tests: apt-get install socat")


def _standard_ticket(**changes: object) -> Ticket:
    data: dict = {
        "office_name": "Bộ phận Một cửa UBND xã Gia Lộc",
        "service_name": "Tư pháp – Hộ tịch",
        "number": "A023",
        "priority": "Người cao tuổi",
        "people_ahead": 4,
        "estimated_wait_min": 12,
        # 01:17 UTC is 08:17 in Hà Nội (UTC+7).
        "issued_at": datetime(2025, 3, 5, 1, 17, tzinfo=UTC),
        "qr": STANDARD_QR,
    }
    data.update(changes)
    return Ticket(**data)


@pytest.fixture
def make_ticket() -> Callable[..., Ticket]:
    """Factory for the standard ticket with changes."""
    return _standard_ticket


@pytest.fixture
def ticket() -> Ticket:
    return _standard_ticket()


@pytest.fixture
def standard_lines() -> list[str]:
    return list(STANDARD_LINES)


@pytest.fixture
def standard_qr() -> str:
    return STANDARD_QR


@pytest.fixture
def socat() -> None:
    _require_socat()


@pytest.fixture
def virtual_printer(tmp_path: Path, socat: None) -> Iterator[VirtualPrinter]:
    vp = VirtualPrinter(tmp_path / "printed", link_dir=tmp_path / "port")
    vp.start()
    try:
        yield vp
    finally:
        vp.stop()


@pytest.fixture
def serial_profile() -> Callable[..., PrinterProfile]:
    """Factory: a profile printing to a virtual printer's pty (115200 baud, 1 s timeout)."""

    def build(vp: VirtualPrinter, **changes: object) -> PrinterProfile:
        transport = SerialSettings(
            device=vp.device_path,
            baudrate=changes.pop("baudrate", 115200),
            flow_control=changes.pop("flow_control", "rtscts"),
            write_timeout_s=changes.pop("write_timeout_s", 1.0),
        )
        return PrinterProfile(transport=transport, **changes)

    return build
