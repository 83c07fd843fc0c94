"""The pages in a real browser (Debian's Chromium via Playwright) against the running
server, a real Mosquitto with device passwords, and SQLite: the clerk console, the
display board with its announcements, and the live supervisor dashboard."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select

from protocol.link import MqttLink
from protocol.messages import DeviceHealth, PrinterState
from server.app import create_app
from server.db.tables import LetterRow, TicketRow
from server.readmodels.desk_state import desk_state
from server.readmodels.queue_state import queue_state
from server.runtime import ServerRuntime
from tests.support.devices import device_link, now, rating, request_ticket, started
from tests.support.http import PASSWORD, act, login
from tests.support.services import Broker
from tests.support.waiting import eventually
from tests.support.web import WebServer

pytestmark = pytest.mark.slow

CONSOLE = {"width": 1366, "height": 768}
TV = {"width": 1920, "height": 1080}


def log_in(browser: Any, web: WebServer, username: str, viewport: dict[str, int] = CONSOLE) -> Any:
    context = browser.new_context(viewport=viewport, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    page.goto(web.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def open_board(browser: Any, web: WebServer) -> tuple[Any, list[str]]:
    """A TV opening the board with its read-only token; returns the page and the
    announcement audio it requests, in order."""
    context = browser.new_context(viewport=TV, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    audio: list[str] = []
    page.on(
        "request",
        lambda r: (
            audio.append(r.url.split("/board/audio/", 1)[1]) if "/board/audio/" in r.url else None
        ),
    )
    page.goto(f"{web.url}/board?token={web.board_token()}")
    assert page.url == web.url + "/board", "the token leaves the address bar"
    page.wait_for_function("window.motcuaBoard !== undefined")
    return page, audio


@pytest.fixture
def kiosk(site_server: ServerRuntime, mosquitto: Broker, tmp_path: Path) -> Iterator[MqttLink]:
    link = started(device_link(site_server.config, mosquitto, "kiosk-1", tmp_path))
    yield link
    link.stop()


@pytest.fixture
def pad(site_server: ServerRuntime, mosquitto: Broker, tmp_path: Path) -> Iterator[MqttLink]:
    link = started(device_link(site_server.config, mosquitto, "pad-q1", tmp_path))
    yield link
    link.stop()


def take(kiosk: MqttLink, service: str = "tp") -> str:
    response = request_ticket(kiosk, service)
    assert response.ok and response.ticket is not None
    return response.ticket.number


def shot(page: Any, shots: Path, name: str) -> None:
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / name))


def test_clerk_calls_next_and_the_board_shows_and_announces_it(
    browser: Any, web: WebServer, kiosk: MqttLink, shots: Path
) -> None:
    first, second = take(kiosk), take(kiosk)
    board, audio = open_board(browser, web)
    console = log_in(browser, web, "lan")
    assert console.url.endswith("/desk")
    console.click("a[href='/desk/q1']")
    console.wait_for_selector("#queues .queue[data-service=tp]")
    assert first in console.inner_text("#queues"), "the console shows who is waiting"
    console.keyboard.press("o")  # open the desk (log in to it)
    console.wait_for_function("document.querySelector('#desk-status').textContent === 'Đang mở'")
    console.keyboard.press("n")  # call next
    pressed = time.monotonic()
    board.wait_for_function(
        f"document.querySelector('#now-number').textContent === '{first}'", timeout=1000
    )
    shown_after = time.monotonic() - pressed
    assert shown_after < 1.0
    assert board.inner_text(".tile[data-desk=q1] .tile-number") == first
    assert "Quầy 1" in board.inner_text(".now-line")
    eventually(lambda: f"call/{first}/q1.wav" in audio, f"call/{first}/q1.wav requested", 1.0)
    console.wait_for_function(f"document.querySelector('#ticket-number').textContent === '{first}'")
    assert second in console.inner_text("#queues")
    shot(board, shots, "board.png")
    shot(console, shots, "console.png")


def test_every_console_action_has_a_key(browser: Any, web: WebServer, kiosk: MqttLink) -> None:
    rt = web.rt
    a, b, c = take(kiosk), take(kiosk), take(kiosk)
    page = log_in(browser, web, "lan")
    page.goto(web.url + "/desk/q1")
    page.wait_for_selector("#queues .queue")

    def state() -> Any:
        with rt.db.read() as s:
            return desk_state(rt.engine, s, "q1")

    keys = {
        "o": "open",
        "n": "call-next",
        "r": "recall",
        "s": "start",
        "d": "done",
        "v": "no-show",
        "g": "call-number",
        "t": "transfer",
        "q": "close",
    }

    def press(key: str, check: Any) -> None:
        action = keys.get(key) or ("resume" if state().paused else "pause")
        page.wait_for_selector(f"[data-action={action}]:not([disabled])")  # as the clerk sees it
        page.keyboard.press(key)
        eventually(lambda: check(state()), f"the effect of key {key!r}", 5)

    press("o", lambda d: d.open)
    press("n", lambda d: d.serving and d.serving.number == a)
    press("r", lambda d: d.serving.recall_count == 1)
    press("s", lambda d: d.serving.state == "serving")
    press("d", lambda d: d.serving is None and d.awaiting_rating.number == a)
    press("n", lambda d: d.serving and d.serving.number == b)
    press("v", lambda d: d.serving is None)  # no-show
    page.wait_for_selector("[data-action=call-number]:not([disabled])")
    page.keyboard.press("g")  # call a specific number (typed in lower case)
    page.fill("#dlg-number input[name=number]", c.lower())
    page.keyboard.press("Enter")
    eventually(lambda: state().serving and state().serving.number == c, f"{c} called", 5)
    page.wait_for_selector("[data-action=transfer]:not([disabled])")
    page.keyboard.press("t")  # transfer to another service
    page.select_option("#dlg-transfer select", "ldtbxh")
    page.click("#dlg-transfer button[value=ok]")
    eventually(lambda: state().serving is None, "the ticket transferred", 5)
    with rt.db.read() as s:
        assert queue_state(rt.engine, s, "ldtbxh").waiting == 1
    page.wait_for_selector("[data-action=pause]:not([disabled])")
    page.keyboard.press("p")  # pause with a reason
    page.fill("#dlg-pause input[name=reason]", "Họp giao ban")
    page.keyboard.press("Enter")
    eventually(lambda: state().paused and state().pause_reason == "Họp giao ban", "paused", 5)
    page.wait_for_function("document.querySelector('#desk-status').textContent.includes('Họp')")
    press("p", lambda d: not d.paused)  # resume
    press("q", lambda d: not d.open)  # close


def test_three_calls_in_the_same_second_are_all_shown_and_announced_in_order(
    browser: Any, web: WebServer, kiosk: MqttLink
) -> None:
    numbers = [take(kiosk, "tp"), take(kiosk, "dd"), take(kiosk, "ldtbxh")]
    board, audio = open_board(browser, web)
    clerks = {"q1": ("lan", "c01"), "q3": ("hung", "c02"), "q5": ("mai", "c05")}
    with TestClient(create_app(web.rt)) as api:
        tokens = {desk: login(api, web.rt, u, "clerk", c) for desk, (u, c) in clerks.items()}
        for desk in clerks:
            assert act(api, tokens[desk], desk, "open").status_code == 200
        started_at = time.monotonic()
        for desk in clerks:
            assert act(api, tokens[desk], desk, "call-next").status_code == 200
        assert time.monotonic() - started_at < 1.0, "three calls within one second"
    # every desk's tile shows its call at once; the announcements follow one by one
    tiles = " && ".join(
        f"document.querySelector('.tile[data-desk={d}] .tile-number').textContent === '{n}'"
        for d, n in zip(clerks, numbers, strict=True)
    )
    board.wait_for_function(tiles, timeout=1000)
    assert len(board.evaluate("window.motcuaBoard.announced")) < 3, "still announcing"
    board.wait_for_function("window.motcuaBoard.announced.length === 3", timeout=30000)
    assert board.evaluate("window.motcuaBoard.announced") == numbers
    for desk, number in zip(clerks, numbers, strict=True):
        assert board.inner_text(f".tile[data-desk={desk}] .tile-number") == number
    calls = [a for a in audio if a.startswith("call/")]
    assert calls == [f"call/{n}/{d}.wav" for n, d in zip(numbers, clerks, strict=True)]


def test_a_board_that_reconnects_announces_the_calls_it_missed(
    browser: Any, web: WebServer, kiosk: MqttLink
) -> None:
    a, b = take(kiosk), take(kiosk)

    board, audio = open_board(browser, web)
    with TestClient(create_app(web.rt)) as api:
        h = login(api, web.rt, "lan", "clerk", "c01")
        act(api, h, "q1", "open")
        act(api, h, "q1", "call-next")
        board.wait_for_function(f"window.motcuaBoard.announced.includes('{a}')")
        board.goto("about:blank")  # the TV loses the page (power cut, network)
        act(api, h, "q1", "done")
        act(api, h, "q1", "call-next")  # called while the board is away
    board.goto(web.url + "/board")
    board.wait_for_function(f"window.motcuaBoard.announced.includes('{b}')", timeout=5000)
    assert board.evaluate("window.motcuaBoard.announced") == [b], "only the missed call"
    assert board.inner_text("#now-number") == b
    assert f"call/{b}/q1.wav" in audio


def test_a_pad_rating_appears_on_the_dashboard_within_a_second(
    browser: Any, web: WebServer, kiosk: MqttLink, pad: MqttLink, shots: Path
) -> None:

    number = take(kiosk)
    take(kiosk)
    with TestClient(create_app(web.rt)) as api:
        h = login(api, web.rt, "lan", "clerk", "c01")
        act(api, h, "q1", "open")
        ticket = act(api, h, "q1", "call-next").json()["ticket"]
        act(api, h, "q1", "done")
    dash = log_in(browser, web, "giamsat")
    assert dash.url.endswith("/dashboard")
    dash.wait_for_selector("#desks tr[data-desk=q1]")
    assert "0" in dash.inner_text("#kpi-ratings")

    pad.publish_event(
        web.rt.config.topics.desk_rating("q1"),
        rating(
            "pad-q1",
            uuid.UUID(ticket["ticket_id"]),
            "very_satisfied",
            praised=["xin_chao", "luon_mim_cuoi"],
        ),
    )
    sent = time.monotonic()
    dash.wait_for_selector(f"#ratings li[data-ticket='{ticket['ticket_id']}']", timeout=1000)
    assert time.monotonic() - sent < 1.0
    item = dash.inner_text("#ratings li")
    assert number in item and "Rất hài lòng" in item and "Nguyễn Thị Lan" in item
    assert "Xin chào" in item and "Luôn mỉm cười" in item
    dash.wait_for_function(
        "document.querySelector('#kpi-satisfaction .kpi-value').textContent === '100 %'",
        timeout=3000,
    )
    row = dash.inner_text("#desks tr[data-desk=q1]")
    assert "Nguyễn Thị Lan" in row and "100 %" in row


def test_dashboard_alerts_a_kiosk_out_of_paper_and_an_unhappy_desk(
    browser: Any, web: WebServer, kiosk: MqttLink, pad: MqttLink, shots: Path
) -> None:

    dash = log_in(browser, web, "giamsat")
    dash.wait_for_selector("#devices tr[data-device=kiosk-1]")
    health = DeviceHealth(
        device_id="kiosk-1",
        sent_at=now(),
        app_version="test",
        boot_id=uuid.uuid4(),
        printer=PrinterState.PAPER_OUT,
        outbox_depth=3,
    )
    kiosk.publish_event(web.rt.config.topics.device_health("kiosk-1"), health, retain=True)
    dash.wait_for_selector("#alerts li[data-kind=printer_paper]", timeout=3000)
    assert "hết giấy" in dash.inner_text("#alerts")
    assert "Hết giấy" in dash.inner_text("#devices tr[data-device=kiosk-1]")
    # four visits at desk 1, three of them unhappy within 15 minutes
    for _ in range(4):
        take(kiosk)
    with TestClient(create_app(web.rt)) as api:
        h = login(api, web.rt, "lan", "clerk", "c01")
        act(api, h, "q1", "open")
        for i in range(4):
            t = act(api, h, "q1", "call-next").json()["ticket"]
            act(api, h, "q1", "done")
            level = "satisfied" if i == 0 else "dissatisfied"
            reasons = [] if i == 0 else ["khong_gay_phien_ha"]
            pad.publish_event(
                web.rt.config.topics.desk_rating("q1"),
                rating("pad-q1", uuid.UUID(t["ticket_id"]), level, reasons=reasons),
            )
    dash.wait_for_selector("#alerts li[data-kind=satisfaction_drop]", timeout=5000)
    assert "3/4" in dash.inner_text("#alerts li[data-kind=satisfaction_drop]")
    dash.wait_for_function(
        "document.querySelector('#kpi-satisfaction .kpi-value').textContent === '25 %'"
    )
    pad.stop()  # the pad goes away: its Last Will / offline status reaches the dashboard
    dash.wait_for_selector("#alerts li[data-key='device_offline:pad-q1']", timeout=5000)
    assert "mất kết nối" in dash.inner_text("#alerts li[data-key='device_offline:pad-q1']")
    assert "Mất kết nối" in dash.inner_text("#devices tr[data-device=pad-q1]")
    shot(dash, shots, "dashboard.png")
    # English on the same live page
    dash.click("a.lang")
    dash.wait_for_selector("#alerts li[data-kind=satisfaction_drop]")
    assert "dissatisfied" in dash.inner_text("#alerts")
    assert "Latest ratings" in dash.inner_text("body")
    shot(dash, shots, "dashboard-en.png")


def test_dashboard_shows_devices_unknown_while_the_server_has_lost_the_broker(
    browser: Any, web: WebServer, kiosk: MqttLink, mosquitto: Broker, shots: Path
) -> None:
    """The broker goes away: kiosk-1 must not stay "Trực tuyến"; every device says
    "Không rõ" and the page says why. The broker comes back: kiosk-1 is online again."""
    dash = log_in(browser, web, "giamsat")
    row = "#devices tr[data-device=kiosk-1]"
    dash.wait_for_function(
        f"document.querySelector('{row}')?.innerText.includes('Trực tuyến')", timeout=5000
    )
    assert dash.is_hidden("#server-status")
    mosquitto.stop()
    dash.wait_for_selector("#server-status li[data-code=link_disconnected]", timeout=15000)
    assert "trạng thái thiết bị không rõ" in dash.inner_text("#server-status")
    dash.wait_for_function(
        f"document.querySelector('{row}').innerText.includes('Không rõ')", timeout=5000
    )
    assert "Trực tuyến" not in dash.inner_text("#devices")
    assert dash.is_visible("#presence-note")
    shot(dash, shots, "dashboard-broker-lost.png")
    mosquitto.start()
    dash.wait_for_function(
        f"document.querySelector('{row}').innerText.includes('Trực tuyến')", timeout=20000
    )
    dash.wait_for_selector("#server-status", state="hidden", timeout=15000)


@pytest.mark.parametrize("viewport", [CONSOLE, TV], ids=["1366x768", "1920x1080"])
def test_the_pages_fit_the_office_monitor_and_the_tv(
    browser: Any, web: WebServer, kiosk: MqttLink, viewport: dict[str, int], shots: Path
) -> None:
    for _ in range(3):
        take(kiosk)
    page = log_in(browser, web, "giamsat", viewport)
    size = f"{viewport['width']}x{viewport['height']}"
    for path, ready in (
        ("/dashboard", "#desks tr[data-desk=q1]"),
        ("/desk/q1", "#queues .queue"),
        ("/board", ".tile[data-desk=q6]"),
    ):
        page.goto(web.url + path)
        page.wait_for_selector(ready)
        wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{path} is {wide}px too wide at {size}"
        if path == "/board":  # a TV cannot scroll: everything on one screen
            tall = page.evaluate("document.documentElement.scrollHeight - window.innerHeight")
            assert tall <= 0, f"the board is {tall}px too tall at {size}"
            box = page.locator("#now-number").bounding_box()
            assert box is not None and box["height"] >= viewport["height"] / 10, "readable"
        shot(page, shots, f"{path.strip('/').replace('/', '-')}-{size}.png")


def test_the_clerk_scans_dossier_codes_and_prints_an_apology_slip(
    browser: Any, web: WebServer, kiosk: MqttLink, shots: Path
) -> None:
    """A keyboard-wedge scanner types the dossier code and Enter: with a ticket in hand
    that finishes it with the code; just after "done" the code goes to that visit. The
    letters of the code never trigger the one-key shortcuts. Then an apology slip."""
    rt = web.rt
    a, b = take(kiosk), take(kiosk)
    page = log_in(browser, web, "lan")
    page.goto(web.url + "/desk/q1")
    page.wait_for_selector("#queues .queue")

    def ticket(number: str) -> Any:
        with rt.db.read() as s:
            return s.scalar(
                select(TicketRow).where(TicketRow.number == number, TicketRow.service == "tp")
            )

    page.keyboard.press("o")
    page.wait_for_selector("[data-action=call-next]:not([disabled])")
    page.keyboard.press("n")
    page.wait_for_function(f"document.querySelector('#ticket-number').textContent === '{a}'")
    # A scan (keys at scanner speed) of a code starting with D, N, S: the code goes into
    # the dossier field, no shortcut fires
    page.keyboard.type("DNS.25-261105-0012")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.querySelector('#last-dossier')?.textContent === 'DNS.25-261105-0012'"
    )
    assert ticket(a).state == "done" and ticket(a).dossier_code == "DNS.25-261105-0012"
    assert ticket(b).state == "issued", "no shortcut fired while typing the code"
    assert f"cho số {a}" in page.inner_text("#message")
    assert page.input_value("#dossier-code") == ""

    # done first, then the scan: a code starting with a digit needs no M
    page.keyboard.press("n")
    page.wait_for_function(f"document.querySelector('#ticket-number').textContent === '{b}'")
    page.keyboard.press("d")
    page.wait_for_function(f"document.querySelector('#last-visit').textContent.includes('{b}')")
    page.keyboard.type("000.00.25.H23 0013")  # a space is refused: nothing stored
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#message').textContent.includes('dấu cách')")
    assert "Mã hồ sơ chỉ gồm" in page.inner_text("#message")
    assert ticket(b).dossier_code is None
    page.fill("#dossier-code", "000.00.25.H23-261105-0013")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.querySelector('#last-dossier')?.textContent === '000.00.25.H23-261105-0013'"
    )
    assert ticket(b).dossier_code == "000.00.25.H23-261105-0013"
    shot(page, shots, "console-dossier.png")

    # the apology slip for that dossier, printed from a new tab
    page.click("[data-letter=apology]")
    dialog = page.locator("#dlg-letter")
    expect(dialog).to_be_visible()
    assert page.input_value("#dlg-letter [name=dossier_code]") == "000.00.25.H23-261105-0013"
    assert page.input_value("#dlg-letter [name=signer_title]") == "Trưởng Bộ phận Một cửa"
    page.click("#dlg-letter button[value=ok]")  # no reason, no date: refused, stays open
    expect(dialog.locator("[data-error]")).to_contain_text("Hãy ghi lý do")
    page.fill("#dlg-letter [name=reason]", "Chờ ý kiến <b>Phòng Tài nguyên & Môi trường</b>")
    page.click("#dlg-letter button[value=ok]")
    expect(dialog.locator("[data-error]")).to_have_text("Hãy chọn ngày hẹn trả kết quả mới")
    new_date = rt.engine.today() + timedelta(days=3)
    page.fill("#dlg-letter [name=new_date]", "31/02/2027")
    page.click("#dlg-letter button[value=ok]")
    expect(dialog.locator("[data-error]")).to_contain_text("ngày/tháng/năm")
    page.fill("#dlg-letter [name=new_date]", f"{new_date:%d/%m/%Y}")  # as people write it
    shot(page, shots, "console-letter.png")
    with page.context.expect_event(
        "response", lambda r: r.url.endswith(".pdf") and "/letters/" in r.url
    ) as pdf:
        page.click("#dlg-letter button[value=ok]")
    assert pdf.value.status == 200
    assert pdf.value.headers["content-type"] == "application/pdf"
    expect(dialog).to_be_hidden()
    expect(page.locator("#letter-link")).to_contain_text("000.00.25.H23-261105-0013")
    with rt.db.read() as s:
        letter = s.scalar(select(LetterRow))
    assert letter is not None and letter.kind == "apology" and letter.new_date == new_date
    assert letter.desk_id == "q1" and letter.clerk_id == "c01"
    assert letter.reason == "Chờ ý kiến <b>Phòng Tài nguyên & Môi trường</b>"
    assert (
        page.get_attribute("#letter-link", "href") == f"/api/sites/gialoc/letters/{letter.id}.pdf"
    )
