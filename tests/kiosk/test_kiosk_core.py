"""The kiosk's logic without a window: reserve numbers, config, wording."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.config import KioskConfig
from kiosk.core import KioskCore, KioskRefused, NoNumberAvailable
from kiosk.state import KioskState, ReserveExhausted
from protocol.i18n import Localized
from protocol.messages import ReserveBlock, ReserveBlocks, ServiceInfo
from protocol.numbers import normalise_typed
from touch_ui.device_config import DeviceConfigError, load_device_config
from touch_ui.i18n import STRINGS

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 27)
NOON = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)  # 12:00 in Hà Nội


def setup(day: date = TODAY, first: int = 500, last: int = 502) -> ReserveBlocks:
    return ReserveBlocks(
        kiosk_id="kiosk-1",
        day=day,
        blocks=[ReserveBlock(service="tp", prefix="A", first=first, last=last)],
        office_name="Bộ phận Một cửa",
        services=[ServiceInfo(code="tp", name="Tư pháp – Hộ tịch", prefix="A")],
    )


def test_reserve_numbers_are_never_reused_across_restarts_and_run_out(tmp_path: Path) -> None:
    block = setup().blocks[0]
    state = KioskState(tmp_path / "k.db")
    assert [state.take_reserve(block, TODAY) for _ in range(2)] == [500, 501]
    state.close()
    state = KioskState(tmp_path / "k.db")  # a restart (or a crash after the commit)
    assert state.take_reserve(block, TODAY) == 502
    assert state.reserve_left(block, TODAY) == 0
    with pytest.raises(ReserveExhausted):
        state.take_reserve(block, TODAY)
    # A new day starts its own block from the beginning.
    assert state.take_reserve(block, TODAY + timedelta(days=1)) == 500
    state.close()


def core_with(tmp_path: Path, reserve: ReserveBlocks | None, now: datetime = NOON) -> KioskCore:
    cfg = KioskConfig(device_id="kiosk-1", site="gialoc", state_dir=tmp_path)
    if reserve is not None:
        state = KioskState(tmp_path / "kiosk-1.state.db")
        state.save_setup(reserve)
        state.close()
    return KioskCore(cfg, clock=lambda: now)


def test_without_a_server_the_kiosk_issues_from_its_cached_reserve(tmp_path: Path) -> None:
    core = core_with(tmp_path, setup())
    try:
        assert [s.code for s in core.services()] == ["tp"]  # the cached catalogue
        first = core.take_number("tp")
        second = core.take_number("tp", "nguoi_cao_tuoi")
        assert (first.number, first.offline, first.day) == ("A500", True, TODAY)
        assert (second.number, second.priority) == ("A501", "nguoi_cao_tuoi")
        assert second.people_ahead == 1  # the offline number issued before it
        assert core.link.outbox_depth() == 2  # both on their way to the server
        core.take_number("tp")
        with pytest.raises(NoNumberAvailable):
            core.take_number("tp")
    finally:
        core.link.stop(announce_offline=False)


def test_a_reserve_of_another_day_is_not_used(tmp_path: Path) -> None:
    core = core_with(tmp_path, setup(day=TODAY - timedelta(days=1)))
    try:
        with pytest.raises(NoNumberAvailable):
            core.take_number("tp")
        assert core.link.outbox_depth() == 0
    finally:
        core.link.stop(announce_offline=False)


def test_the_local_day_decides_which_reserve_applies(tmp_path: Path) -> None:
    # 23:30 UTC on the 26th is already 06:30 on the 27th in Hà Nội.
    core = core_with(tmp_path, setup(), now=datetime(2026, 11, 26, 23, 30, tzinfo=UTC))
    try:
        assert core.today() == TODAY
        assert core.take_number("tp").number == "A500"
    finally:
        core.link.stop(announce_offline=False)


def test_a_refusal_is_shown_in_the_servers_words_else_the_catalogs(tmp_path: Path) -> None:
    from kiosk.flow import refusal_message
    from protocol.refusals import Reason, as_reason

    said = Localized("Không có lĩnh vực “zz”", "unknown service 'zz'")
    relayed = KioskRefused(as_reason("unknown_service"), said)
    assert relayed.code is Reason.UNKNOWN_SERVICE and refusal_message(relayed) == said
    newer = KioskRefused(as_reason("from_a_newer_server"), Localized("Mới", "New"))
    assert newer.code is Reason.REFUSED and refusal_message(newer) == ("Mới", "New")
    core = core_with(tmp_path, setup())
    try:
        with pytest.raises(KioskRefused) as own:
            core.take_number("zz")
    finally:
        core.link.stop(announce_offline=False)
    assert refusal_message(own.value) == ("Không có lĩnh vực này", "Unknown service")
    assert refusal_message(None) == STRINGS.both("no_number")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("A23", "A023"), ("a023", "A023"), ("B1", "B001"), ("A1234", "A1234"), ("Z12", None)],
)
def test_typed_ticket_numbers(typed: str, expected: str | None) -> None:
    assert normalise_typed(typed, ["A", "B"]) == expected


def test_the_example_kiosk_config_is_valid_and_errors_name_file_and_field(tmp_path: Path) -> None:
    cfg = load_device_config(ROOT / "config" / "kiosk.example.yaml", KioskConfig)
    assert cfg.device_id == "kiosk-1" and cfg.broker.username == "kiosk-1"
    assert cfg.printer is not None and cfg.screen.kiosk_mode
    bad = tmp_path / "kiosk.yaml"
    bad.write_text("device_id: kiosk-1\nsite: gialoc\nkiosk: {request_timeout_s: 0}\n")
    with pytest.raises(DeviceConfigError) as err:
        load_device_config(bad, KioskConfig)
    assert str(bad) in str(err.value) and "kiosk.request_timeout_s" in str(err.value)


def test_every_screen_text_is_nfc_in_both_languages() -> None:
    for key, (vi, en) in STRINGS.items():
        assert vi == unicodedata.normalize("NFC", vi), key
        assert en == unicodedata.normalize("NFC", en), key


def test_with_the_server_down_and_the_broker_up_numbers_come_at_once_from_the_reserve(
    site, mosquitto, tmp_path: Path
) -> None:
    """The retained server status says offline: no request is sent and waited for."""
    import time

    from sqlalchemy import select

    from server.db.tables import TicketRow
    from tests.conftest import make_runtime
    from tests.support.services import sqlite_url
    from tests.support.sites import device_password
    from tests.support.waiting import eventually

    db_url = sqlite_url(tmp_path)
    rt = make_runtime(site, db_url, mosquitto)
    cfg = KioskConfig.model_validate(
        {
            "device_id": "kiosk-1",
            "site": "gialoc",
            "state_dir": str(tmp_path / "kiosk"),
            "broker": {
                "host": mosquitto.host,
                "port": mosquitto.port,
                "password": device_password("kiosk-1"),
                "reconnect_min_s": 1,
                "reconnect_max_s": 2,
            },
        }
    )
    core = KioskCore(cfg)
    core.start()
    try:
        eventually(lambda: core.online and core.services(), "the kiosk online", 15, 0.1)
        assert core.online and core.take_number("tp").number == "A001"
        rt.stop()  # clean stop: the server publishes its retained status "offline"
        eventually(lambda: not core.online, "the kiosk to see the server offline", 25, 0.1)
        started = time.monotonic()
        offline = core.take_number("tp")
        assert time.monotonic() - started < cfg.kiosk.request_timeout_s
        first = site.offline.reserve_first
        assert (offline.number, offline.offline) == (f"A{first:03d}", True)
        rt = make_runtime(site, db_url, mosquitto)
        eventually(lambda: core.link.outbox_depth() == 0, "the outbox drained", 20, 0.2)
        with rt.db.read() as s:
            numbers = list(s.scalars(select(TicketRow.number).order_by(TicketRow.issued_at)))
        assert numbers == ["A001", f"A{first:03d}"]
    finally:
        core.stop()
        rt.stop()


def test_a_service_without_an_open_desk_says_so_instead_of_no_waiting(
    site_server, mosquitto, tmp_path: Path
) -> None:
    """No desk serving "tp" is open: the button must not promise "Không phải chờ"."""
    from dataclasses import dataclass

    from kiosk.queue_line import queue_line
    from tests.support.sites import device_password
    from tests.support.waiting import eventually

    @dataclass
    class Clerk:
        role: str = "clerk"
        clerk_id: str | None = "c01"

    cfg = KioskConfig.model_validate(
        {
            "device_id": "kiosk-1",
            "site": "gialoc",
            "state_dir": str(tmp_path / "kiosk"),
            "broker": {
                "host": mosquitto.host,
                "port": mosquitto.port,
                "password": device_password("kiosk-1"),
            },
        }
    )
    core = KioskCore(cfg)
    core.start()

    def line(lang: str = "vi") -> str:
        (tp,) = [s for s in core.services() if s.code == "tp"]
        return queue_line(tp, lang)  # type: ignore[arg-type]

    try:
        eventually(lambda: core.online and line(), "the kiosk online with queue states", 15, 0.1)
        assert line() == "Chưa có quầy mở cho lĩnh vực này"
        assert line("en") == "No desk open for this service yet"
        core.take_number("tp")
        eventually(lambda: line() == "Đang chờ: 1 người · chưa có quầy mở", "waiting, no desk")
        site_server.desks.open(Clerk(), "q1")  # desk 1 serves tp
        eventually(lambda: line().startswith("Đang chờ: 1 người · khoảng"), "the desk is open")
        site_server.desks.call_next(Clerk(), "q1")
        eventually(lambda: line() == "Không phải chờ", "nobody left waiting, a desk open")
    finally:
        core.stop()
