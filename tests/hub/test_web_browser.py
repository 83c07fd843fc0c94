"""The hub's pages in a real browser (Debian's Chromium via Playwright), with the page's
own CSP in force: the province overview with two groups, their figures and the offices'
online/offline state, refreshed live when a rating arrives; an office supervisor who
sees only their office (403 on another); the drill-down into one office with its queue,
desks and devices. Screenshots: docs/img/hub-overview.png and docs/img/hub-office.png
with ``MOTCUA_SCREENSHOTS=docs/img``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from protocol.codes import TicketState
from server.timeutil import now_utc
from tests.hub.conftest import HubWeb
from tests.hub.web_data import Visits, add_account, add_office, served_and_rated
from tests.support.http import PASSWORD

pytestmark = pytest.mark.slow

MONITOR = {"width": 1366, "height": 768}
PAPER_OUT = {
    "code": "printer_paper_out",
    "vi": "Ki-ốt sảnh chính hết giấy",
    "en": "Main hall kiosk: paper out",
}


def open_as(browser: Any, web: HubWeb, username: str, path: str = "/") -> Any:
    context = browser.new_context(viewport=MONITOR, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{web.url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.errors = errors
    return page


def shot(page: Any, shots: Path, name: str) -> None:
    target = shots.parent  # docs/img/hub-….png beside the other pages' shots
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name), full_page=True)


@pytest.fixture
def province(hub_web: HubWeb) -> dict[str, Visits]:
    """Two groups: Cụm Gia Lộc (Gia Lộc online, busy, with a printer alert; Gia Xuyên
    offline with a backlog) and Cụm Tứ Kỳ (Tứ Kỳ online; Hà Thanh never heard from)."""
    db = hub_web.db
    seen = now_utc().isoformat()
    devices = [
        {
            "device_id": "kiosk-1",
            "status": "online",
            "last_seen": seen,
            "health": {"printer": "paper_out", "outbox_depth": 0},
        },
        {
            "device_id": "pad-q1",
            "status": "online",
            "last_seen": seen,
            "health": {"outbox_depth": 0},
        },
        {"device_id": "pad-q2", "status": "offline", "last_seen": seen, "health": None},
    ]
    gialoc = add_office(
        db, "gialoc", "Xã Gia Lộc", "Cụm Gia Lộc", alerts=[PAPER_OUT], devices=devices
    )
    add_office(
        db, "giaxuyen", "Xã Gia Xuyên", "Cụm Gia Lộc", seen_ago_s=900, backlog={"ratings": 7}
    )
    add_office(db, "tuky", "Xã Tứ Kỳ", "Cụm Tứ Kỳ")
    add_office(db, "hathanh", "Xã Hà Thanh", "Cụm Tứ Kỳ", seen_ago_s=None)
    v = {code: Visits(db, code) for code in ("gialoc", "giaxuyen", "tuky")}
    served_and_rated(v["gialoc"], served=6, satisfied=3, dissatisfied=1)
    in_hand = v["gialoc"].ticket(TicketState.SERVING, desk="q1", clerk="c01", minutes_ago=20)
    v["gialoc"].desk("q1", "c01", in_hand)
    v["gialoc"].desk("q2", "c02")
    for _ in range(3):
        v["gialoc"].ticket(TicketState.ISSUED, minutes_ago=10)
    served_and_rated(v["giaxuyen"], served=2, satisfied=2, dissatisfied=0)
    served_and_rated(v["tuky"], served=4, satisfied=4, dissatisfied=0)
    v["tuky"].ticket(TicketState.ISSUED)
    add_account(db, gialoc, "tinh", "supervisor", None)
    add_account(db, gialoc, "gs-gialoc", "supervisor", "gialoc")
    return v


def row(page: Any, code: str) -> Any:
    return page.locator(f"tr.office-row[data-code={code}]")


def test_the_overview_shows_both_groups_and_updates_live(
    browser: Any, hub_web: HubWeb, province: dict[str, Visits], shots: Path
) -> None:
    page = open_as(browser, hub_web, "tinh")
    assert page.url == hub_web.url + "/"
    expect(page.locator("tbody.group")).to_have_count(2)
    groups = page.locator("tr.group-head th")
    expect(groups).to_have_text(["Cụm Gia Lộc", "Cụm Tứ Kỳ"])

    gialoc = row(page, "gialoc")
    expect(gialoc.locator(".state")).to_have_text("Trực tuyến")
    expect(gialoc.locator(".waiting")).to_have_text("3")
    expect(gialoc.locator(".served")).to_have_text("6")
    expect(gialoc.locator(".satisfaction")).to_contain_text("75 %")
    expect(gialoc.locator(".satisfaction")).to_have_class("num satisfaction bad")
    expect(gialoc.locator(".hub-alerts")).to_contain_text("Ki-ốt sảnh chính hết giấy")
    expect(row(page, "giaxuyen").locator(".state")).to_have_text("Mất kết nối")
    expect(row(page, "giaxuyen").locator(".backlog")).to_have_text("7")
    expect(row(page, "hathanh").locator(".state")).to_have_text("Chưa liên lạc")
    expect(row(page, "tuky").locator(".satisfaction")).to_contain_text("100 %")
    # ranked by satisfaction: Gia Xuyên and Tứ Kỳ (100 %) before Gia Lộc (75 %)
    expect(row(page, "gialoc").locator(".rank")).to_have_text("3")
    cluster = page.locator("tr.group-total[data-group='Cụm Gia Lộc']")
    expect(cluster.locator(".served")).to_have_text("8")
    expect(cluster.locator(".state")).to_have_text("1/2 trực tuyến")
    province_total = page.locator("tr.province-total")
    expect(province_total.locator(".waiting")).to_have_text("4")
    expect(province_total.locator(".served")).to_have_text("12")
    expect(page.locator("#kpi-online .kpi-value")).to_have_text("2/4")
    # 9 of 10 ratings satisfied in the province
    expect(page.locator("#kpi-satisfaction .kpi-value")).to_have_text("90 %")

    page.select_option("#sort", "waiting")
    expect(row(page, "gialoc").locator(".rank")).to_have_text("1")
    shot(page, shots, "hub-overview.png")

    # a rating reaches the hub: the page shows it within a refresh, without a reload
    v = province["gialoc"]
    ticket = v.ticket(TicketState.DONE, desk="q1", clerk="c01")
    v.rating(ticket, "very_satisfied", praised=["xin_chao"])
    expect(row(page, "gialoc").locator(".served")).to_have_text("7", timeout=30_000)
    expect(row(page, "gialoc").locator(".satisfaction")).to_contain_text("80 %")
    expect(page.locator("#kpi-satisfaction .kpi-value")).to_have_text("90.9 %")
    assert not page.errors, page.errors


def test_an_office_supervisor_sees_only_their_office(
    browser: Any, hub_web: HubWeb, province: dict[str, Visits]
) -> None:
    page = open_as(browser, hub_web, "gs-gialoc")
    expect(page.locator("tr.office-row")).to_have_count(1)
    expect(row(page, "gialoc")).to_be_visible()
    expect(page.locator("tr.province-total")).to_have_count(0)
    response = page.goto(hub_web.url + "/offices/tuky")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text(
        "Tài khoản gs-gialoc chỉ được xem đơn vị của mình."
    )
    expect(page.locator("main")).not_to_contain_text("Tứ Kỳ")
    page.errors.clear()  # the browser logs the 403 it was just refused
    page.goto(hub_web.url + "/")
    page.click("a[href='/offices/gialoc']")
    expect(page.locator("#office-name")).to_have_text("Xã Gia Lộc")
    assert not page.errors, page.errors


def test_the_drill_down_shows_the_queue_desks_and_devices(
    browser: Any, hub_web: HubWeb, province: dict[str, Visits], shots: Path
) -> None:
    page = open_as(browser, hub_web, "tinh", "/offices/gialoc")
    assert page.url == hub_web.url + "/offices/gialoc"
    expect(page.locator("#office-state")).to_have_text("Trực tuyến")
    tp = page.locator("#queues tr[data-service=tp]")
    expect(tp.locator(".waiting")).to_have_text("3")
    expect(tp.locator(".next")).to_have_text("A008 A009 A010")
    q1 = page.locator("#desks tr[data-desk=q1]")
    expect(q1.locator(".clerk")).to_have_text("Nguyễn Thị Lan")
    expect(q1.locator(".state")).to_have_text("Đang phục vụ A007")
    expect(page.locator("#desks tr[data-desk=q2] .clerk")).to_have_text("Trần Văn Hùng")
    expect(page.locator("#desks tr[data-desk=q3] .state")).to_have_text("Đóng")
    expect(page.locator("#desk-stats tr[data-desk=q1] .served")).to_have_text("6")
    kiosk = page.locator("#devices tr[data-device=kiosk-1]")
    expect(kiosk.locator(".status")).to_have_text("Trực tuyến")
    expect(kiosk.locator(".printer")).to_have_text("Hết giấy")
    expect(page.locator("#devices tr[data-device=pad-q2] .status")).to_have_text("Mất kết nối")
    expect(page.locator("#alerts")).to_contain_text("Ki-ốt sảnh chính hết giấy")
    expect(page.locator("#ratings li")).to_have_count(4)
    expect(page.locator("#ratings")).to_contain_text("Trả kết quả trễ hẹn")
    expect(page.locator("#kpi-satisfaction .kpi-value")).to_have_text("75 %")
    # read-only: nothing on the page acts on the office
    assert page.locator("main button, main form").count() == 0
    shot(page, shots, "hub-office.png")
    assert not page.errors, page.errors


def test_an_office_whose_configuration_has_not_come_says_so(
    browser: Any, hub_web: HubWeb, province: dict[str, Visits]
) -> None:
    page = open_as(browser, hub_web, "tinh", "/offices/hathanh")
    expect(page.locator("#no-config")).to_be_visible()
    expect(page.locator("#office-state")).to_have_text("Chưa liên lạc")
    assert not page.errors, page.errors
