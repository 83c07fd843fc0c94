"""The citizen's phone page (``/t/{id}``, the QR code on every ticket) in a real browser
with a phone's profile (360×640, touch), against the running server, a real Mosquitto
with the kiosk's and the pad's own accounts, and SQLite.

A kiosk takes numbers over MQTT, a clerk drives the desk through the HTTP API, the phone
follows by push (and by polling when it has no WebSocket), rings, and rates the visit.
Screenshots go to ``$MOTCUA_SCREENSHOTS/phone`` (``MOTCUA_SCREENSHOTS=docs/img`` →
docs/img/phone), else to a temporary folder.
"""

from __future__ import annotations

import json
import os
import queue
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from protocol.link import MqttLink
from protocol.messages import OfflineTicket, ReserveBlocks
from protocol.mqtt.message import Message
from server.db.tables import RatingRow, RejectedMessageRow, TicketRow
from server.runtime import ServerRuntime
from server.voice.words import call_text
from tests.conftest import SHOTS_ENV
from tests.support.devices import device_link, now, rating, request_ticket, started
from tests.support.http import PASSWORD
from tests.support.services import Broker
from tests.support.waiting import eventually
from tests.support.web import WebServer

pytestmark = pytest.mark.slow

PHONE = {"width": 360, "height": 640}
WAIT_MS = 15_000
#: Records what the page asks of the phone's vibrator and sound (before its script runs).
SPY = """
window.__vibrations = [];
navigator.vibrate = function (p) { window.__vibrations.push(p); return true; };
window.__tones = [];
(function () {
  var C = window.AudioContext;
  if (!C) return;
  var make = C.prototype.createOscillator;
  C.prototype.createOscillator = function () {
    var o = make.call(this), start = o.start.bind(o);
    o.start = function (t) { window.__tones.push(o.frequency.value); return start(t); };
    return o;
  };
})();
"""
#: What the page plays and vibrates for a call (the tap that allows them plays 660 Hz
#: alone and vibrates 80 ms: a call is told apart by its 880 Hz tone and its pattern).
CALL_TONE = 880
CALL_VIBRATION = [400, 200, 400, 200, 800]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = os.environ.get(SHOTS_ENV)
    return Path(target) / "phone" if target else tmp_path / "shots"


@pytest.fixture
def reserves() -> queue.Queue[ReserveBlocks]:
    """The offline reserves the kiosk receives (retained ``kiosk/kiosk-1/reserve``)."""
    return queue.Queue()


@pytest.fixture
def kiosk(
    site_server: ServerRuntime,
    mosquitto: Broker,
    tmp_path: Path,
    reserves: queue.Queue[ReserveBlocks],
) -> Iterator[MqttLink]:
    link = device_link(site_server.config, mosquitto, "kiosk-1", tmp_path)

    def on_reserve(msg: Message) -> None:
        reserves.put(ReserveBlocks.model_validate_json(msg.payload))

    link.subscribe(link.topics.kiosk_reserve("kiosk-1"), on_reserve)
    started(link)
    yield link
    link.stop()


@pytest.fixture
def pad(site_server: ServerRuntime, mosquitto: Broker, tmp_path: Path) -> Iterator[MqttLink]:
    link = started(device_link(site_server.config, mosquitto, "pad-q1", tmp_path))
    yield link
    link.stop()


class Clerk:
    """Clerk Lan at desk q1, through the HTTP API."""

    def __init__(self, web: WebServer) -> None:
        self.http = httpx.Client(base_url=web.url, timeout=30)
        r = self.http.post("/api/login", json={"username": "lan", "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"

    def __call__(self, action: str) -> dict[str, Any]:
        r = self.http.post(f"/api/sites/gialoc/desks/q1/{action}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


def take(kiosk: MqttLink, service: str = "tp") -> tuple[str, str]:
    """(ticket id, number) of a number taken at the kiosk."""
    response = request_ticket(kiosk, service)
    assert response.ok and response.ticket is not None
    return str(response.ticket.ticket_id), response.ticket.number


class Phone:
    """A citizen's phone with the page of one ticket open; counts its requests."""

    def __init__(self, browser: Any, web: WebServer, path: str, websocket: bool = True) -> None:
        self.context = browser.new_context(
            viewport=PHONE, has_touch=True, is_mobile=True, locale="vi-VN"
        )
        self.page = self.context.new_page()
        self.page.add_init_script(SPY)
        if not websocket:
            self.page.add_init_script("window.WebSocket = undefined")
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.sockets: list[str] = []
        self.page.on("websocket", lambda ws: self.sockets.append(ws.url))
        self.origin = web.url
        self.page.goto(web.url + path)

    def text(self, selector: str) -> str:
        return str(self.page.inner_text(selector))

    def polls(self) -> int:
        return sum(1 for u in self.requests if u.endswith("/state"))

    def no_horizontal_scroll(self) -> None:
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width} px wide"

    def only_own_origin(self) -> None:
        host = self.origin.removeprefix("http://")
        others = [u for u in self.requests + self.sockets if host not in u.split("/")[2]]
        assert others == [], others

    def shot(self, shots: Path, name: str) -> None:
        shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(shots / name))

    def close(self) -> None:
        self.context.close()


def stored(rt: ServerRuntime) -> list[RatingRow]:
    with rt.db.read() as s:
        return list(s.scalars(select(RatingRow)))


def test_a_phone_follows_its_number_is_called_and_rates_the_visit(
    browser: Any, web: WebServer, kiosk: MqttLink, pad: MqttLink, shots: Path
) -> None:
    take(kiosk)
    take(kiosk)
    tid, number = take(kiosk)
    phone = Phone(browser, web, f"/t/{tid}")
    page = phone.page
    expect(page.locator("#number")).to_have_text(number, timeout=WAIT_MS)
    expect(page.locator("#ahead")).to_have_text("Còn 2 người trước ông/bà", timeout=WAIT_MS)
    assert "Tư pháp – Hộ tịch" in phone.text("#service")
    expect(page.locator("#conn")).to_contain_text("trực tiếp", timeout=WAIT_MS)
    page.tap("#alert-on")  # one tap allows the sound and the vibration
    expect(page.locator("#alert-on")).to_be_hidden()
    phone.no_horizontal_scroll()
    phone.shot(shots, "waiting.png")
    clerk = Clerk(web)
    clerk("open")
    polls = phone.polls()
    clerk("call-next")
    expect(page.locator("#ahead")).to_have_text("Còn 1 người trước ông/bà", timeout=WAIT_MS)
    clerk("done")
    clerk("call-next")
    expect(page.locator("#ahead")).to_have_text("Ông/bà là người tiếp theo", timeout=WAIT_MS)
    clerk("done")
    assert clerk("call-next")["ticket"]["ticket_id"] == tid
    banner = page.locator("#banner")
    expect(banner).to_be_visible(timeout=10_000)  # the issue: within ~10 s, by push
    expect(banner).to_contain_text("Mời ông/bà đến Quầy 1")
    expect(page.locator("#call-text")).to_contain_text(call_text(number, 1))  # as the board says
    assert phone.polls() == polls, "with the socket up the page does not poll: it was pushed"
    eventually(
        lambda: CALL_VIBRATION in page.evaluate("window.__vibrations"), "the phone to vibrate", 10
    )
    eventually(lambda: CALL_TONE in page.evaluate("window.__tones"), "the phone to ring", 10)
    phone.no_horizontal_scroll()
    phone.shot(shots, "called.png")
    # the same ticket open on a second phone, which follows by polling
    other = Phone(browser, web, f"/t/{tid}", websocket=False)
    clerk("start")
    expect(page.locator("#status")).to_have_text("Đang được phục vụ tại Quầy 1", timeout=WAIT_MS)
    expect(banner).to_be_hidden()
    clerk("done")
    expect(page.locator("#rate")).to_be_visible(timeout=WAIT_MS)
    expect(other.page.locator("#rate")).to_be_visible(timeout=WAIT_MS)
    other.page.route("**/state", lambda route: route.abort())  # its updates stop coming
    assert [b.strip() for b in page.locator("#levels button").all_inner_texts()] == [
        "Rất hài lòng",
        "Hài lòng",
        "Không hài lòng",
    ]
    page.tap("#levels .lv-very_satisfied")
    expect(page.locator("#choices-title")).to_contain_text("làm tốt")
    assert page.locator("#items button").count() == 8, "4 Xin and 4 Luôn"
    page.tap("#items button[data-code=xin_chao]")
    page.fill("#comment", "Cán bộ hướng dẫn rất tận tình")
    phone.no_horizontal_scroll()
    page.locator("#rate").evaluate("el => el.scrollIntoView()")
    phone.shot(shots, "rate.png")
    page.tap("#send")
    expect(page.locator("#thanks")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#rate")).to_be_hidden()
    phone.shot(shots, "thanks.png")
    [row] = stored(web.rt)
    assert (str(row.ticket_id), row.source, row.device_id) == (tid, "phone", "phone")
    assert row.praised == ["xin_chao"] and row.comment == "Cán bộ hướng dẫn rất tận tình"
    # the second phone did not hear of it and still shows its form: its rating is
    # refused and it says so
    other.page.tap("#levels .lv-dissatisfied")
    expect(other.page.locator("#choices-title")).to_contain_text("chưa hài lòng")
    other.page.tap("#items button[data-code=khong_tre_hen]")
    other.page.tap("#send")
    expect(other.page.locator("#error")).to_have_text("Lượt này đã được đánh giá", timeout=WAIT_MS)
    expect(other.page.locator("#thanks")).to_be_visible()
    # the pad's rating of the same visit is refused: still one rating, from the phone
    pad.publish_event(pad.topics.desk_rating("q1"), rating("pad-q1", uuid.UUID(tid)))

    def pad_refused() -> bool:
        with web.rt.db.read() as s:
            return "already_rated" in list(s.scalars(select(RejectedMessageRow.reason)))

    eventually(pad_refused, "the pad's rating to be refused", 30)
    assert [(str(r.ticket_id), r.source) for r in stored(web.rt)] == [(tid, "phone")]
    phone.only_own_origin()
    other.only_own_origin()
    phone.close()
    other.close()


def test_a_number_issued_offline_is_followed_once_it_reaches_the_server(
    browser: Any,
    web: WebServer,
    kiosk: MqttLink,
    reserves: queue.Queue[ReserveBlocks],
    shots: Path,
) -> None:
    reserve = reserves.get(timeout=30)
    block = next(b for b in reserve.blocks if b.service == "tp")
    tid = uuid.uuid4()  # printed on the ticket by the offline kiosk
    before = httpx.get(f"{web.url}/t/{tid}", timeout=30)
    assert before.status_code == 200, "a ticket not yet on the server is never a 404"
    data = before.text.split('id="page-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["view"]["state"] == "pending"
    phone = Phone(browser, web, f"/t/{tid}")
    page = phone.page
    expect(page.locator("#status")).to_contain_text("chưa về đến máy chủ")
    expect(page.locator("#number")).to_have_text("…")
    phone.no_horizontal_scroll()
    phone.shot(shots, "pending.png")
    number = f"{block.prefix}{block.first}"
    event = OfflineTicket(
        device_id="kiosk-1",
        sent_at=now(),
        ticket_id=tid,
        number=number,
        service="tp",
        issued_at=now(),
        day=web.rt.engine.today(),
    )
    kiosk.publish_event(kiosk.topics.ticket_offline("kiosk-1"), event)
    expect(page.locator("#number")).to_have_text(number, timeout=WAIT_MS)
    expect(page.locator("#status")).to_have_text("Đang chờ đến lượt")
    expect(page.locator("#ahead")).to_have_text("Ông/bà là người tiếp theo")
    with web.rt.db.read() as s:
        row = s.get(TicketRow, tid)
        assert row is not None and (row.number, row.offline) == (number, True)
    phone.only_own_origin()
    phone.close()


def test_a_malformed_address_gets_a_friendly_page(
    browser: Any, web: WebServer, shots: Path
) -> None:
    phone = Phone(browser, web, "/t/A023-khong-phai-ma")
    page = phone.page
    expect(page.locator("h1")).to_have_text("Không tìm thấy trang")
    body = phone.text("body")
    assert "Page not found" in body and "quét lại mã QR" in body
    assert "Traceback" not in page.content() and '"detail"' not in page.content()
    phone.no_horizontal_scroll()
    phone.shot(shots, "not-found.png")
    phone.close()


def test_without_websocket_the_page_follows_by_polling(
    browser: Any, web: WebServer, kiosk: MqttLink
) -> None:
    tid, number = take(kiosk)
    phone = Phone(browser, web, f"/t/{tid}", websocket=False)
    page = phone.page
    expect(page.locator("#number")).to_have_text(number, timeout=WAIT_MS)
    expect(page.locator("#conn")).to_contain_text("định kỳ", timeout=WAIT_MS)
    clerk = Clerk(web)
    clerk("open")
    clerk("call-next")
    expect(page.locator("#banner")).to_contain_text("Mời ông/bà đến Quầy 1", timeout=WAIT_MS)
    assert phone.polls() >= 2 and phone.sockets == []
    phone.close()


def test_english_and_the_weight_of_the_page(browser: Any, web: WebServer, kiosk: MqttLink) -> None:
    tid, _ = take(kiosk)
    sizes = 0
    with httpx.Client(base_url=web.url) as http:
        for path in (f"/t/{tid}", "/static/phone.js", "/static/phone.css"):
            r = http.get(path)
            assert r.status_code == 200, path
            sizes += len(r.content)
    assert sizes < 60_000, f"page + script + style weigh {sizes} bytes"
    phone = Phone(browser, web, f"/t/{tid}")
    page = phone.page
    expect(page.locator("#ahead")).to_have_text("Ông/bà là người tiếp theo", timeout=WAIT_MS)
    page.tap("#lang")
    expect(page.locator("#ahead")).to_have_text("You are next", timeout=WAIT_MS)
    expect(page.locator("#service")).to_have_text("Justice – Civil status")
    assert page.url.endswith(f"/t/{tid}"), "back on the same ticket"
    expect(page.locator("#alert-on")).to_have_text("Ring and vibrate when it is my turn")
    phone.no_horizontal_scroll()
    page.tap("#lang")
    expect(page.locator("#ahead")).to_have_text("Ông/bà là người tiếp theo", timeout=WAIT_MS)
    phone.only_own_origin()
    phone.close()


def test_a_transferred_visit_is_followed_to_its_new_service(
    browser: Any, web: WebServer, kiosk: MqttLink
) -> None:
    """The clerk sends the citizen to another service: the same page (the same QR code)
    says so and follows the visit in its new queue, behind who already waits there."""
    take(kiosk, "dd")  # someone already waits for Đất đai
    tid, number = take(kiosk)
    clerk = Clerk(web)
    clerk("open")
    assert clerk("call-next")["ticket"]["ticket_id"] == tid
    phone = Phone(browser, web, f"/t/{tid}")
    page = phone.page
    expect(page.locator("#banner")).to_be_visible(timeout=WAIT_MS)
    clerk("start")
    r = clerk.http.post("/api/sites/gialoc/desks/q1/transfer", json={"service": "dd"})
    assert r.status_code == 200, r.text
    expect(page.locator("#moved")).to_have_text("Đã chuyển sang Đất đai", timeout=WAIT_MS)
    expect(page.locator("#number")).to_have_text(number)
    expect(page.locator("#service")).to_have_text("Đất đai")
    expect(page.locator("#status")).to_have_text("Đang chờ đến lượt")
    # it keeps its original issue time: the one who took a number before it stays ahead
    expect(page.locator("#ahead")).to_have_text("Còn 1 người trước ông/bà")
    expect(page.locator("#banner")).to_be_hidden()
    phone.close()
