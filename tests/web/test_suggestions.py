"""The suggestion box in a real browser (issue 14): a citizen on a phone (360×640, touch)
leaves a suggestion on ``/gop-y``, it reaches the supervisor's open dashboard live, as
text, and is marked handled there; a phone rating's source and comment on the
dashboard; the board's QR code. Pages run under their real CSP (no bypass), and
nothing leaves the server's origin.

Screenshots go to docs/img/phone and docs/img/web with ``MOTCUA_SCREENSHOTS=docs/img``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select

from protocol.codes import RatingSource
from protocol.link import MqttLink
from protocol.messages import DeskRating, VisitRating
from server.app import create_app
from server.db.tables import RatingRow, SuggestionRow
from server.ratings.rules import RatingIn
from server.runtime import ServerRuntime
from server.services.unit import transaction
from server.timeutil import now_utc
from server.web.routes.suggestions import suggestion_url
from tests.support.devices import device_link, request_ticket, started
from tests.support.http import PASSWORD, act, login
from tests.support.services import Broker
from tests.support.waiting import eventually
from tests.support.web import WebServer

pytestmark = pytest.mark.slow

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1366, "height": 768}
TV = {"width": 1920, "height": 1080}
HOSTILE = "<script>alert(1)</script> Phòng chờ thiếu ghế, xin bổ sung thêm ghế cho người già."
WAIT_MS = 30_000


class Watched:
    """A page, the requests it made and the dialogs and errors it showed."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        # a browser asks for /favicon.ico by itself (there is none: a 404)
        if message.type == "error" and "favicon" not in message.location.get("url", ""):
            self.errors.append(message.text)

    def only_from(self, origin: str) -> None:
        outside = [u for u in self.requests if not u.startswith((origin + "/", "data:"))]
        assert outside == [], f"requests left the origin: {outside}"


def phone(browser: Any, web: WebServer) -> Watched:
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, locale="vi-VN", device_scale_factor=2
    )
    return Watched(context.new_page())


def supervisor(browser: Any, web: WebServer, viewport: dict[str, int] = DESKTOP) -> Watched:
    w = Watched(browser.new_context(viewport=viewport, locale="vi-VN").new_page())
    w.page.goto(web.url + "/login")
    w.page.fill("input[name=username]", "giamsat")
    w.page.fill("input[name=password]", PASSWORD)
    w.page.click("button[type=submit]")
    w.page.wait_for_url(web.url + "/dashboard")
    return w


def stored(rt: ServerRuntime) -> list[SuggestionRow]:
    with rt.db.read() as s:
        return list(s.scalars(select(SuggestionRow).order_by(SuggestionRow.received_at)))


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


def send(page: Any, text: str, contact: str = "", service: str = "") -> None:
    page.fill("#text", text)
    if service:
        page.select_option("#service", service)
    if contact:
        page.fill("#contact", contact)
    page.tap("#send")


def test_a_citizen_suggestion_reaches_the_dashboard_live_as_text_and_is_handled(
    browser: Any, web: WebServer, shots: Path
) -> None:
    phone_shots = shots.parent / "phone"
    phone_shots.mkdir(parents=True, exist_ok=True)
    dash = supervisor(browser, web)
    dash.page.wait_for_selector("#suggestions li.muted")
    assert "Không có góp ý chờ xử lý" in dash.page.inner_text("#suggestions")

    citizen = phone(browser, web)
    p = citizen.page
    p.goto(web.url + "/gop-y")
    expect(p.locator("h1")).to_have_text("Góp ý, phản ánh")
    assert "Không bắt buộc — chỉ ghi nếu ông/bà muốn được trả lời" in p.inner_text("main")
    assert p.locator("#service option").first.inner_text() == "Không chọn"
    p.fill("#text", HOSTILE)
    expect(p.locator("#count")).to_have_text(f"{len(HOSTILE)}/2000 ký tự")
    p.select_option("#service", "tp")
    no_sideways_scroll(p)
    p.screenshot(path=str(phone_shots / "suggestion.png"))
    p.tap("#send")
    expect(p.locator("#sent")).to_be_visible(timeout=WAIT_MS)
    expect(p.locator("#sent-contact")).to_be_hidden()
    no_sideways_scroll(p)
    p.screenshot(path=str(phone_shots / "suggestion-sent.png"))

    # live on the dashboard, as text: the script tag is shown, never run
    first = dash.page.locator("#suggestions li.sg").first
    expect(first.locator(".sg-text")).to_have_text(HOSTILE, timeout=WAIT_MS)
    assert dash.page.locator("#suggestions script").count() == 0
    expect(dash.page.locator("#sg-count")).to_have_text("1 chưa xử lý", timeout=WAIT_MS)
    assert first.locator(".sg-contact").count() == 0
    expect(first.locator(".sg-service")).to_have_text(web.rt.config.service_by_code["tp"].name)
    (row,) = stored(web.rt)
    assert row.text == HOSTILE and row.service == "tp" and row.contact is None

    # a second one, with a contact the citizen chose to give
    p.tap("#another")
    send(p, "Xin cho biết giờ làm việc thứ Bảy.", contact="0912 345 678")
    expect(p.locator("#sent-contact")).to_be_visible(timeout=WAIT_MS)
    second = dash.page.locator("#suggestions li.sg").nth(1)
    expect(second.locator(".sg-contact")).to_have_text("Liên hệ: 0912 345 678", timeout=WAIT_MS)
    expect(dash.page.locator("#sg-count")).to_have_text("2 chưa xử lý", timeout=WAIT_MS)
    assert [r.contact for r in stored(web.rt)] == [None, "0912 345 678"]
    dash.page.screenshot(path=str(_shot(shots, "dashboard-suggestions.png")), full_page=True)

    # the supervisor marks the first one handled, with a note
    first_id = str(stored(web.rt)[0].id)
    item = dash.page.locator(f"#suggestions li[data-id='{first_id}']")
    item.locator(".sg-handle").click()
    item.locator("textarea").fill("Đã bổ sung 10 ghế ở phòng chờ.")
    item.locator("button[type=submit]").click()
    expect(item).to_have_count(0, timeout=WAIT_MS)
    expect(dash.page.locator("#sg-count")).to_have_text("1 chưa xử lý", timeout=WAIT_MS)
    done = stored(web.rt)[0]
    assert done.handled_by == "giamsat" and done.handled_note == "Đã bổ sung 10 ghế ở phòng chờ."
    assert done.handled_at is not None and stored(web.rt)[1].handled_at is None

    # English, with the server's own refusal shown on the page (the rate limit: 5 posts)
    p.tap("#another")
    p.tap("#lang")
    expect(p.locator("h1")).to_have_text("Suggestions and feedback", timeout=WAIT_MS)
    assert "Optional — only if you want an answer" in p.inner_text("main")
    send(p, "ab")
    expect(p.locator("#error")).to_have_text("Please write at least 3 characters")
    for i in range(3):
        send(p, f"Suggestion number {i + 3}")
        expect(p.locator("#sent")).to_be_visible(timeout=WAIT_MS)
        p.tap("#another")
    send(p, "One too many")
    expect(p.locator("#error")).to_contain_text("several suggestions in a row", timeout=WAIT_MS)
    assert len(stored(web.rt)) == 5
    no_sideways_scroll(p)

    for w in (citizen, dash):
        assert w.dialogs == [], "a citizen's text ran as script"
        w.only_from(web.url)
    assert all("429" in e for e in citizen.errors), citizen.errors  # the refused post only
    assert dash.errors == []
    sizes = [
        len(httpx.get(web.url + path).content)
        for path in ("/gop-y", "/static/suggest.js", "/static/suggest.css")
    ]
    assert sum(sizes) < 60_000, sizes


def _shot(shots: Path, name: str) -> Path:
    shots.mkdir(parents=True, exist_ok=True)
    return shots / name


@pytest.fixture
def kiosk(site_server: ServerRuntime, mosquitto: Broker, tmp_path: Path) -> Iterator[MqttLink]:
    link = started(device_link(site_server.config, mosquitto, "kiosk-1", tmp_path))
    yield link
    link.stop()


def _rate(rt: ServerRuntime, item: RatingIn) -> None:
    with transaction(rt.db, rt.publisher) as unit:
        (result,) = (out := rt.ratings.store(unit.session, [item])).results
        assert isinstance(result, dict), result
        unit.changes.merge(out.changes)


def test_a_phone_rating_shows_its_source_and_comment_on_the_dashboard_as_text(
    browser: Any, web: WebServer, kiosk: MqttLink, shots: Path
) -> None:
    for _ in range(2):
        assert request_ticket(kiosk, "tp").ok
    with TestClient(create_app(web.rt)) as api:
        h = login(api, web.rt, "lan", "clerk", "c01")
        act(api, h, "q1", "open")
        tickets = []
        for _ in range(2):
            tickets.append(uuid.UUID(act(api, h, "q1", "call-next").json()["ticket"]["ticket_id"]))
            act(api, h, "q1", "done")
    dash = supervisor(browser, web)
    dash.page.wait_for_selector("#ratings li.muted")
    comment = '<img src=x onerror="alert(1)"> Cán bộ hướng dẫn rất nhiệt tình'
    now = now_utc()
    by_phone = VisitRating(
        device_id="phone", sent_at=now, ticket_id=tickets[0], level="very_satisfied"
    )
    _rate(web.rt, RatingIn(by_phone, None, now, source=RatingSource.PHONE, comment=comment))
    item = dash.page.locator(f"#ratings li[data-ticket='{tickets[0]}']")
    expect(item.locator(".r-source")).to_have_text("Điện thoại", timeout=WAIT_MS)
    expect(item.locator(".r-comment")).to_have_text(f"“{comment}”", timeout=WAIT_MS)
    assert dash.page.locator("#ratings img").count() == 0
    by_pad = DeskRating(device_id="pad-q1", sent_at=now, ticket_id=tickets[1], level="satisfied")
    _rate(web.rt, RatingIn(by_pad, "q1", now))
    pad_item = dash.page.locator(f"#ratings li[data-ticket='{tickets[1]}']")
    expect(pad_item.locator(".r-source")).to_have_text("Máy tại quầy", timeout=WAIT_MS)
    assert pad_item.locator(".r-comment").count() == 0
    with web.rt.db.read() as s:
        assert (
            s.scalar(select(RatingRow.comment).where(RatingRow.ticket_id == tickets[0])) == comment
        )
    # after a reload, from the snapshot: the same
    dash.page.reload()
    expect(item.locator(".r-comment")).to_have_text(f"“{comment}”", timeout=WAIT_MS)
    expect(pad_item.locator(".r-source")).to_have_text("Máy tại quầy")
    dash.page.locator("#ratings").screenshot(path=str(_shot(shots, "dashboard-rating-sources.png")))
    assert dash.dialogs == [] and dash.errors == []
    dash.only_from(web.url)


def test_the_board_shows_the_suggestion_box_qr_code_beside_the_calls(
    browser: Any, web: WebServer, kiosk: MqttLink, shots: Path
) -> None:
    board = Watched(browser.new_context(viewport=TV, locale="vi-VN").new_page())
    board.page.goto(f"{web.url}/board?token={web.board_token()}")
    page = board.page
    page.wait_for_function("window.motcuaBoard !== undefined")
    ticket = request_ticket(kiosk, "tp").ticket
    assert ticket is not None
    with TestClient(create_app(web.rt)) as api:
        h = login(api, web.rt, "lan", "clerk", "c01")
        act(api, h, "q1", "open")
        act(api, h, "q1", "call-next")
    expect(page.locator("#now-number")).to_have_text(ticket.number, timeout=WAIT_MS)
    qr = page.locator("#suggest-qr img")
    expect(qr).to_be_visible(timeout=WAIT_MS)
    eventually(
        lambda: page.evaluate("document.querySelector('#suggest-qr img').naturalWidth") > 0,
        "the QR code to load",
        30,
    )
    url = suggestion_url(web.rt.config)
    expect(page.locator("#suggest-qr .qr-url")).to_have_text(url)
    expect(page.locator("#suggest-qr .qr-caption")).to_have_text("Góp ý, phản ánh")
    box = qr.bounding_box()
    assert box["width"] >= 200 and abs(box["width"] - box["height"]) < 1, box
    aside = page.locator("#suggest-qr").bounding_box()
    for other in (".now-calling", "#tiles"):
        b = page.locator(other).bounding_box()
        overlap = not (
            aside["x"] >= b["x"] + b["width"]
            or b["x"] >= aside["x"] + aside["width"]
            or aside["y"] >= b["y"] + b["height"]
            or b["y"] >= aside["y"] + aside["height"]
        )
        assert not overlap, f"the QR code covers {other}"
    assert page.evaluate("document.documentElement.scrollWidth") <= TV["width"]
    assert page.evaluate("document.documentElement.scrollHeight") <= TV["height"]
    page.screenshot(path=str(_shot(shots, "board-with-qr.png")))
    assert board.errors == []
    board.only_from(web.url)
