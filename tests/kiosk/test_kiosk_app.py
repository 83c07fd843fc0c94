"""The kiosk as citizens use it: real touches on a real Kivy window (Xvfb), the real
server over a password-protected Mosquitto, and the virtual printer on a pty pair.

The kiosk's UI timings (press guard, touch lock) are short here (tests/support/kiosk.py):
the tests wait for what the citizen sees, never for a fixed time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from server.app import create_app
from server.db.tables import DeviceRow, RatingRow, TicketRow
from server.runtime import ServerRuntime
from tests.support.http import act, login
from tests.support.kiosk import ADMIN_PIN
from tests.support.kivy_remote import RemoteApp
from tests.support.services import Broker
from tests.support.waiting import eventually
from ticket_printer.emulator import VirtualPrinter

pytestmark = pytest.mark.slow

Start = Callable[..., RemoteApp]


def ready(app: RemoteApp) -> dict[str, Any]:
    """Wait until the kiosk has its services (from the server) and is online."""
    return app.wait_for(
        lambda s: s["services"] and s["online"] and not s["banner"], what="kiosk online"
    )


def take_number(app: RemoteApp, service: str, priority: str | None = "none") -> dict[str, Any]:
    before = app.state()["ticket_id"]
    app.tap_through("take-number")
    app.tap_through(f"service-{service}")  # (a tap too soon after the last one is ignored)
    if priority is not None:
        app.tap_through(f"priority-{priority}")
    return app.wait_for(
        lambda s: s["ticket_id"] != before and s["number"] and not s["busy"],
        what="a number on screen",
    )


def touch_to_welcome(app: RemoteApp) -> dict[str, Any]:
    """A touch on the ticket screen ends it (again if it came within the touch lock)."""
    assert app.state()["screen"] == "ticket"
    return app.touch_until(960, 540, lambda s: s["screen"] == "welcome", "back to welcome")


def tickets(rt: ServerRuntime) -> list[TicketRow]:
    with rt.db.read() as s:
        return list(s.scalars(select(TicketRow).order_by(TicketRow.issued_at)))


def assert_drawn(path: Path) -> None:
    """A screenshot of a real frame: anti-aliased text and shapes, not a blank window."""
    img = Image.open(path).convert("RGB")
    assert img.size == (1920, 1080)
    colours = img.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50, f"{path.name} looks blank"
    background = img.getpixel((4, 4))  # the screen's margin
    assert sum(background) > 700, f"{path.name}: the light theme background is missing"
    drawn = sum(
        n
        for n, rgb in colours
        if sum(abs(a - b) for a, b in zip(rgb, background, strict=True)) > 90
    )
    assert drawn > 0.01 * 1920 * 1080, f"{path.name}: almost nothing drawn"


def shot(app: RemoteApp, shots: Path, name: str) -> None:
    assert_drawn(app.shot(shots / f"{name}.png"))


def test_whole_flow_number_on_screen_printed_and_on_server(
    start_kiosk: Start, site_server: ServerRuntime, printer: VirtualPrinter, shots: Path
) -> None:
    app = start_kiosk()
    state = ready(app)
    assert state["screen"] == "welcome"
    assert "Xin chào!" in state["texts"] and "Lấy số thứ tự" in state["texts"]
    assert state["banner"] == ""  # online: no banner
    shot(app, shots, "01_welcome")

    state = app.tap_through("take-number")
    assert state["screen"] == "services"
    assert any("Tư pháp – Hộ tịch" in t for t in state["texts"])
    # No desk is open yet: the buttons say so rather than "Không phải chờ".
    assert any("Chưa có quầy mở cho lĩnh vực này" in t for t in state["texts"])
    shot(app, shots, "02_services")

    state = app.tap_through("service-tp")
    assert state["screen"] == "priority"
    assert "Người cao tuổi" in state["texts"]
    shot(app, shots, "03_priority")

    app.tap_through("priority-nguoi_cao_tuoi")
    state = app.wait_for(lambda s: s["printed"] is not None, what="printing done")
    assert state["screen"] == "ticket" and state["printed"] is True
    number = state["number"]
    assert number == "A001" and state["offline_number"] is False
    assert "Ưu tiên: Người cao tuổi" in state["texts"]
    assert "Mời ông/bà nhận phiếu ở khe bên dưới" in state["texts"]
    shot(app, shots, "04_ticket")

    paper = printer.wait_for_tickets(1)[0]
    # TCVN-3 has no en dash: the printer gets a hyphen.
    assert number in paper.text and "Tư pháp - Hộ tịch" in paper.text
    (row,) = tickets(site_server)
    assert (row.number, row.service, row.priority) == (number, "tp", "nguoi_cao_tuoi")
    assert str(row.id) == state["ticket_id"] and row.kiosk_id == "kiosk-1"
    assert any(str(row.id) in qr for qr in paper.job.qr_codes)

    # A touch ends the ticket screen; the live count on the button went up.
    touch_to_welcome(app)
    app.tap("take-number")
    app.wait_for(
        lambda s: any("Đang chờ: 1 người" in t for t in s["texts"]), what="live waiting count"
    )

    # English on request, and back: the texts change in place.
    app.tap("back")
    app.tap("language")
    state = app.state()
    assert "Take a number" in state["texts"] and "Welcome!" in state["texts"]
    shot(app, shots, "07_welcome_en")
    app.tap("take-number")
    state = app.state()
    assert "Please choose a service" in state["texts"]
    assert any("Waiting: 1" in t for t in state["texts"])
    app.tap("back")
    app.tap("rate-visit")
    assert {"Please enter the number on your ticket", "Continue"} <= set(app.state()["texts"])
    app.tap("key-back")
    app.tap("language")
    assert "Lấy số thứ tự" in app.state()["texts"]
    app.tap("rate-visit")
    assert {"Mời ông/bà nhập số thứ tự in trên phiếu", "Tiếp tục"} <= set(app.state()["texts"])


def test_paper_out_keeps_the_number_on_screen_and_reports_health(
    start_kiosk: Start,
    site_server: ServerRuntime,
    printer: VirtualPrinter,
    shots: Path,
) -> None:
    app = start_kiosk()
    ready(app)
    printer.set_mode("paper_out")
    state = take_number(app, "dd")
    assert state["printed"] is False and state["number"] == "B001"
    assert any("Máy in đang gặp sự cố" in t for t in state["texts"])
    assert "ticket-qr" in state["tids"]  # the QR code, next to the instruction
    assert state["printer"] == "paper_out"
    shot(app, shots, "05_printer_fault")
    # The server learns it from the retained health topic.

    def paper_out_reported() -> bool:
        with site_server.db.read() as s:
            row = s.get(DeviceRow, ("gialoc", "kiosk-1"))
            health = row.health if row else None
        return bool(health and health.get("printer") == "paper_out")

    eventually(paper_out_reported, "paper_out in the kiosk's health on the server", 15)
    # The screen stays on the number (no automatic return) …
    app.holds(lambda s: s["number"] == "B001" and s["screen"] == "ticket", 2, "B001 on screen")
    # … and the next citizen is served once paper is loaded.
    printer.set_mode("ok")
    touch_to_welcome(app)
    state = take_number(app, "dd")
    assert state["number"] == "B002" and state["printed"] is True
    assert "B002" in printer.wait_for_tickets(1)[-1].text
    assert [t.number for t in tickets(site_server)] == ["B001", "B002"]


def test_while_the_broker_is_down_numbers_come_from_the_reserve_and_all_reach_the_server(
    start_kiosk: Start,
    site_server: ServerRuntime,
    mosquitto: Broker,
    printer: VirtualPrinter,
    shots: Path,
) -> None:
    app = start_kiosk(ask_priority=False)
    ready(app)
    online = take_number(app, "tp", priority=None)
    assert online["number"] == "A001"

    mosquitto.stop()
    app.wait_for(lambda s: not s["online"] and s["banner"], what="offline banner")
    issued = []
    for service in ("tp", "tp", "dd"):
        touch_to_welcome(app)
        state = take_number(app, service, priority=None)
        assert state["offline_number"] is True and state["printed"] is True
        issued.append(state["number"])
    assert "Đang mất kết nối với máy chủ" in state["banner"]
    shot(app, shots, "06_ticket_offline")
    first = site_server.config.offline.reserve_first
    assert issued == [f"A{first:03d}", f"A{first + 1:03d}", f"B{first:03d}"]
    assert state["outbox"] >= 3

    # Killed with undelivered numbers, restarted while the broker is still down: the
    # reserve goes on where it stopped, nothing is reused.
    app.kill()
    app = start_kiosk(ask_priority=False)
    app.wait_for(lambda s: s["services"], what="services from the cached catalogue")
    state = take_number(app, "tp", priority=None)
    assert state["offline_number"] is True and state["number"] == f"A{first + 2:03d}"
    issued.append(state["number"])

    mosquitto.start()
    eventually(
        lambda: len(tickets(site_server)) >= 5 and app.state()["outbox"] == 0,
        "every number on the server and the outbox empty",
        30,
    )
    rows = tickets(site_server)
    numbers = [r.number for r in rows]
    assert sorted(numbers) == sorted(["A001", *issued]), numbers
    assert len(set(numbers)) == len(numbers)
    assert [r.offline for r in rows] == [False, True, True, True, True]
    # Merged in issue-time order: the queue of tp serves A001, then the offline ones.
    tp = [r.number for r in rows if r.service == "tp"]
    assert tp == ["A001", f"A{first:03d}", f"A{first + 1:03d}", f"A{first + 2:03d}"]
    assert app.state()["outbox"] == 0
    app.wait_for(lambda s: s["online"] and not s["banner"], what="banner gone")


def test_rate_a_visit_by_ticket_number(
    start_kiosk: Start, site_server: ServerRuntime, shots: Path
) -> None:
    app = start_kiosk(ask_priority=False)
    ready(app)
    number = take_number(app, "tp", priority=None)["number"]
    with TestClient(create_app(site_server)) as api:
        clerk = login(api, site_server, "lan", "clerk", "c01")
        for action in ("open", "call-next", "start", "done"):
            assert act(api, clerk, "q1", action).status_code == 200

    touch_to_welcome(app)
    app.tap("rate-visit")
    assert app.state()["screen"] == "enter_number"
    app.tap("key-9")  # no service letter: not a ticket number
    app.tap("key-ok")
    assert "Số chưa đúng, ví dụ: A023" in app.state()["texts"]
    app.tap("key-clear")
    for key in ("A", "1"):  # typed as a citizen reads it, without the zeros
        app.tap(f"key-{key}")
    assert "A1" in app.state()["texts"]
    shot(app, shots, "08_rate_enter_number")
    app.tap("key-ok")
    state = app.state()
    assert state["screen"] == "rate_level"
    assert f"Đánh giá lượt phục vụ số {number}" in state["texts"]
    shot(app, shots, "09_rate_level")
    app.tap_through("level-dissatisfied")
    assert app.state()["screen"] == "rate_reasons"
    for reason in ("reason-khong_huong_dan_mieng", "reason-luon_lang_nghe"):
        app.tap_until(reason, lambda s, r=reason: r in s["toggled"])
    shot(app, shots, "10_rate_reasons")
    state = app.tap_through("rate-send")
    assert state["screen"] == "rate_thanks" and "Xin cảm ơn ông/bà!" in state["texts"]
    # The answer is not shown back: no level word on the thanks screen.
    assert not any("hài lòng" in t.lower() for t in state["texts"])
    shot(app, shots, "11_rate_thanks")

    def stored() -> RatingRow | None:
        with site_server.db.read() as s:
            return s.scalar(select(RatingRow))

    rating = eventually(stored, "the rating stored", 15)
    assert (rating.level, rating.desk_id, rating.clerk_id, rating.source) == (
        "dissatisfied",
        "q1",
        "c01",
        "kiosk",
    )
    assert sorted(rating.reasons) == ["khong_huong_dan_mieng", "luon_lang_nghe"]
    app.wait_for(lambda s: s["screen"] == "welcome", what="back to welcome after thanks")


def test_kiosk_mode_large_targets_idle_return_and_admin_exit(
    start_kiosk: Start, site_server: ServerRuntime
) -> None:
    app = start_kiosk(idle_timeout_s=5)
    ready(app)
    # The window cannot be closed (window manager, Escape): refused.
    assert app.cmd(cmd="close")["refused"] is True
    # Every touch target on every screen is at least 15 mm each way.
    for screen, go in [("welcome", None), ("services", "take-number"), ("priority", "service-tp")]:
        if go:
            app.tap(go)
        assert app.state()["screen"] == screen
        reply = app.cmd(cmd="targets")
        assert reply["window"] == [1920, 1080]  # fullscreen on the 1920×1080 display
        small = [t for t in reply["targets"] if t["w_mm"] < 15 or t["h_mm"] < 15]
        assert reply["targets"] and not small, f"{screen}: {small}"
    # Left alone, the kiosk goes back to the welcome screen.
    app.wait_for(lambda s: s["screen"] == "welcome", timeout=12, what="idle return")
    # Admin gesture: hold the top-left corner 3 s, enter the PIN, quit.
    app.touch(20, 1060, hold=3.5)
    app.wait_for(lambda s: "Nhập mã PIN quản trị" in s["texts"], what="the admin PIN pad")
    for key in "1111":
        app.tap(f"key-{key}")
    app.tap("key-ok")
    assert "Sai mã PIN" in app.state()["texts"]
    for key in ADMIN_PIN:
        app.tap(f"key-{key}")
    app.tap("key-ok")
    assert "Thoát ứng dụng" in app.state()["texts"]
    app.cmd(cmd="tap", tid="admin-Thoát ứng dụng")
    app.proc.wait(15)
    assert app.proc.returncode == 0
