"""The dashboard as an office with six open desks sees it on a 1366×768 monitor: no
horizontal scrolling, no emoji a stock Debian cannot draw, the English names of desks and
devices on the English page, and the display board (a web page) not shown as a device
that never connected."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from reportlab.pdfbase.ttfonts import TTFontFile

from protocol.link import MqttLink
from server.config import SiteConfig, parse_site_config
from server.readmodels.devices import device_views
from server.runtime import ServerRuntime
from tests.support.devices import device_link, rating, request_ticket, started
from tests.support.services import Broker
from tests.support.sites import site_data
from tests.support.waiting import eventually
from tests.support.web import WebServer
from tests.web.test_browser import CONSOLE, log_in, open_board, shot

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "server" / "web"
DEJAVU = ROOT / "ticket_printer" / "fonts" / "DejaVuSans.ttf"


PAUSE_REASON = "Họp giao ban, tài liệu BaoCaoGiaoBan_Thang11_UBND_GiaLoc_PhongTuPhapHoTich.docx"


@dataclass
class Clerk:
    clerk_id: str
    role: str = "clerk"


def test_every_character_of_the_pages_is_in_debians_default_font() -> None:
    """DejaVu Sans (Debian's default, no emoji) draws every character the templates,
    scripts, styles and page wordings use: nothing shows as an empty box."""
    glyphs = TTFontFile(str(DEJAVU)).charToGlyph
    files = [
        *(WEB / "templates").glob("*.html"),
        *(WEB / "static").glob("*.js"),
        *(WEB / "static").glob("*.css"),
        *WEB.glob("*i18n.py"),
        ROOT / "protocol" / "conduct.py",
    ]
    missing = {
        f"{path.relative_to(ROOT)}: {ch!r} U+{ord(ch):04X}"
        for path in files
        for ch in path.read_text(encoding="utf-8")
        if ord(ch) > 0x7F and ord(ch) not in glyphs
    }
    assert len(files) > 15
    assert not missing, sorted(missing)


@pytest.fixture
def site() -> SiteConfig:
    """The example site, but desk 5 and pad-q2 have no English name (the Vietnamese
    one is shown instead)."""
    data = site_data()
    for entry in (*data["desks"], *data["devices"]):
        if entry["id"] in ("q5", "pad-q2"):
            entry.pop("name_en")
    return parse_site_config(data, "test-site")


@pytest.fixture
def kiosk(site_server: ServerRuntime, mosquitto: Broker, tmp_path: Path) -> Iterator[MqttLink]:
    link = started(device_link(site_server.config, mosquitto, "kiosk-1", tmp_path))
    yield link
    link.stop()


def busy_office(web: WebServer, kiosk: MqttLink, pad: MqttLink) -> None:
    """Six desks open, each serving someone; two ratings with praise at desk 1."""
    rt = web.rt
    for _ in range(3):
        for svc in rt.config.services:
            assert request_ticket(kiosk, svc.code).ok
    for i, desk in enumerate(rt.config.desks, start=1):
        rt.desks.open(Clerk(f"c{i:02d}"), desk.id)
    for praise in (["xin_chao", "luon_mim_cuoi"], ["xin_loi", "luon_lang_nghe"]):
        outcome = rt.desks.call_next(Clerk("c01"), "q1")
        assert outcome.ticket is not None
        rt.desks.done(Clerk("c01"), "q1", None)
        pad.publish_event(
            rt.config.topics.desk_rating("q1"),
            rating("pad-q1", outcome.ticket.id, "very_satisfied", praised=praise),
        )
    for i, desk in enumerate(rt.config.desks, start=1):
        rt.desks.call_next(Clerk(f"c{i:02d}"), desk.id)
    # What a clerk types is not always breakable (a link, a file name): it must not
    # widen the page either.
    rt.desks.done(Clerk("c06"), "q6", None)
    rt.desks.pause(Clerk("c06"), "q6", PAUSE_REASON)


def assert_fits(page: Any) -> None:
    wide = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0, f"the dashboard is {wide}px too wide at 1366×768"
    for desk in ("q1", "q6"):
        row = page.locator(f"#desks tr[data-desk={desk}]")
        box = row.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= CONSOLE["width"]


def test_six_open_desks_fit_1366x768_in_both_languages_with_drawn_praise_marks(
    browser: Any, web: WebServer, kiosk: MqttLink, mosquitto: Broker, tmp_path: Path, shots: Path
) -> None:
    pad = started(device_link(web.rt.config, mosquitto, "pad-q1", tmp_path))
    try:
        busy_office(web, kiosk, pad)
        dash = log_in(browser, web, "giamsat", CONSOLE)
        dash.wait_for_selector("#ratings li:nth-child(2) .r-conduct svg.icon")
        eventually(
            lambda: (
                all(
                    "Đang phục vụ" in dash.inner_text(f"#desks tr[data-desk=q{i}]")
                    for i in range(1, 6)
                )
                and "GiaoBan" in dash.inner_text("#desks tr[data-desk=q6]")
            ),
            "five desks serving, one paused",
        )
        assert_fits(dash)
        conduct = dash.inner_text("#ratings li .r-conduct")
        assert "Xin lỗi" in conduct and "\U0001f44d" not in dash.inner_text("body")
        assert dash.get_attribute("#ratings li .r-conduct svg.icon", "aria-label") == "Khen"
        shot(dash, shots, "dashboard-six-desks-1366x768.png")

        dash.click("a.lang")
        dash.wait_for_selector("#desks tr[data-desk=q6]")
        eventually(lambda: "Desk 6" in dash.inner_text("#desks tr[data-desk=q6]"), "Desk 6")
        names = dash.locator("#desks tbody tr td:first-child").all_inner_texts()
        assert names == ["Desk 1", "Desk 2", "Desk 3", "Desk 4", "Quầy 5", "Desk 6"]
        assert "Desk 1" in dash.inner_text("#ratings li")
        devices = dash.locator("#devices tbody tr td:first-child").all_inner_texts()
        assert devices[:3] == ["Main hall kiosk", "Rating pad desk 1", "Máy đánh giá quầy 2"]
        assert_fits(dash)
        shot(dash, shots, "dashboard-six-desks-en-1366x768.png")
    finally:
        pad.stop()


def test_the_board_row_tells_a_web_page_not_a_device_that_never_connected(
    browser: Any, web: WebServer
) -> None:
    dash = log_in(browser, web, "giamsat", CONSOLE)
    row = "#devices tr[data-device=board-1]"
    dash.wait_for_selector(row)
    assert "Trang web — không theo dõi kết nối" in dash.inner_text(row)
    assert "Chưa kết nối" not in dash.inner_text(row)
    assert "Chưa kết nối" in dash.inner_text("#devices tr[data-device=pad-q6]")
    board, _ = open_board(browser, web)
    dash.wait_for_function(
        f"document.querySelector('{row}').innerText.includes('1 màn hình đang mở')",
        timeout=5000,
    )
    board.context.close()
    dash.wait_for_function(
        f"document.querySelector('{row}').innerText.includes('mở lần cuối')", timeout=5000
    )
    # The JSON API's read model says the same (without the page counts, which only the
    # dashboard's live stream knows).
    with web.rt.db.read() as s:
        (view,) = device_views(s, web.rt.config, ["board-1"])
    assert (view.status, view.pages_open) == ("web_page", None)
