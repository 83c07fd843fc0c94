"""The report page `/reports` in Chromium: a supervisor looks at a quarter,
changes the period and the filters, the headline figures follow the API's; the charts
are drawn (Chart.js from this server, under the strict CSP); the exports download; a
clerk sees only their own figures; what citizens wrote shows as typed (issue 14); the
page fits a 1366×768 office monitor and a 1920×1080 screen (screenshots in
docs/img/reports with ``MOTCUA_SCREENSHOTS=docs/img``).

One server for the module, on six months of simulated history (Q2–Q3 2026).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import openpyxl
import pytest

from protocol.conduct import CONDUCT_ITEMS, PRAISE_CODES
from server.reports.wording import SHEETS
from server.runtime import ServerRuntime
from tests.conftest import SHOTS_ENV, make_runtime
from tests.support.citizens_data import CONTACT, HOSTILE, add_suggestions, rate_by_phone
from tests.support.http import PASSWORD
from tests.support.report_history import QUARTER, write_history
from tests.support.services import sqlite_url, start_mosquitto
from tests.support.sites import make_site
from tests.support.web import WebServer, browser_login, serve_http

pytestmark = pytest.mark.slow

CONSOLE = {"width": 1366, "height": 768}
TV = {"width": 1920, "height": 1080}
#: Building a quarter's report takes seconds on a busy machine.
LOAD_MS = 90_000
CHARTS = ("ch-trend", "ch-clerks", "ch-reasons", "ch-praised")
#: True when a canvas has a drawing on it (enough opaque pixels), not just a blank.
DRAWN = """(id) => {
  const c = document.getElementById(id);
  if (!c || !c.width || !c.height) return false;
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n > 2000;
}"""


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    site = make_site()
    tmp = tmp_path_factory.mktemp("reports-page")
    broker = start_mosquitto(site, tmp / "mosquitto")
    rt: ServerRuntime = make_runtime(site, sqlite_url(tmp), broker)
    try:
        write_history(rt.db, site)
        with serve_http(rt) as w:
            yield w
    finally:
        rt.stop()
        broker.stop()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = os.environ.get(SHOTS_ENV)
    return Path(target) / "reports" if target else tmp_path / "shots"


def open_reports(
    browser: Any, web: WebServer, username: str, query: str, viewport: dict[str, int] = CONSOLE
) -> tuple[Any, list[str]]:
    """Log in through the form, open /reports?query; the page and its console errors.
    The CSP is not bypassed: a script or style it blocks would show here."""
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(LOAD_MS)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    target = f"/reports?{query}"
    page.goto(f"{web.url}/login?{urlencode({'next': target})}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(web.url + target)  # straight there: the log-in keeps the address
    return page, errors


def ready(page: Any, **data: str) -> None:
    """Wait until the page shows a loaded report with these data attributes
    (``period="2026-07"``, ``clerk="c02"``)."""
    selector = "#rp-body[data-state=ready]" + "".join(f'[data-{k}="{v}"]' for k, v in data.items())
    page.wait_for_selector(selector, state="attached", timeout=LOAD_MS)


def api_view(web: WebServer, username: str, **params: str) -> dict[str, Any]:
    client = browser_login(web, username)
    try:
        r = client.get("/api/sites/gialoc/reports/view", params=params, timeout=120)
    finally:
        client.close()
    assert r.status_code == 200, r.text[:300]
    return r.json()


def vi_pct(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " %"


def headline(page: Any) -> tuple[float, str]:
    card = page.locator("#card-satisfaction")
    return float(card.get_attribute("data-value")), card.locator(".rp-card-value").inner_text()


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def csp_errors(errors: list[str]) -> list[str]:
    return [e for e in errors if "Content Security Policy" in e or "Refused" in e]


def test_supervisor_reads_a_quarter_changes_period_and_filters_and_downloads(
    browser: Any, web: WebServer, tmp_path: Path
) -> None:
    page, errors = open_reports(browser, web, "giamsat", f"period={QUARTER}")
    ready(page, period=QUARTER)
    q3 = api_view(web, "giamsat", period=QUARTER)
    value, text = headline(page)
    assert value == q3["report"]["total"]["satisfaction_pct"]
    assert text == vi_pct(value)
    assert page.locator("#rp-title").inner_text().startswith("Quý III năm 2026")
    assert no_sideways_scroll(page)
    for chart in CHARTS:
        assert page.evaluate(DRAWN, chart), f"{chart} is blank"
    # the official table: the same total as the API's, with the signature block
    total = page.locator("#doc-table tr.total td[data-col=pct]").inner_text()
    assert total == f"{q3['official']['total']['satisfaction_pct']:.1f}".replace(".", ",")
    assert page.locator("#doc-title").inner_text() == "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG"
    assert page.locator("#doc-signer-right").inner_text() == "THỦ TRƯỞNG ĐƠN VỊ"
    # the planted pattern is flagged, its detail shown as text
    flag = page.locator("#rp-flags tr.flag").first
    assert "Phục vụ quá ngắn" in flag.inner_text() and "Quầy 2" in flag.inner_text()

    # quarter → month (the quarter's first), then next and back twice
    page.select_option("#rp-kind", "month")
    ready(page, period="2026-07")
    assert "period=2026-07" in page.url
    page.click("#rp-next")
    ready(page, period="2026-08")
    page.click("#rp-prev")
    ready(page, period="2026-07")
    page.click("#rp-prev")
    ready(page, period="2026-06")
    june = api_view(web, "giamsat", period="2026-06")
    assert headline(page)[0] == june["report"]["total"]["satisfaction_pct"]

    # one clerk: the figures become theirs
    page.select_option("#rp-clerk", "c02")
    ready(page, period="2026-06", clerk="c02")
    hung = api_view(web, "giamsat", period="2026-06", clerk="c02")
    assert headline(page)[0] == hung["report"]["total"]["satisfaction_pct"]
    assert headline(page)[0] != june["report"]["total"]["satisfaction_pct"]
    assert page.locator("#rp-table tbody tr[data-key]").evaluate_all(
        "rows => rows.map(r => r.dataset.key)"
    ) == ["c02"]
    # the address reproduces the view
    assert "clerk=c02" in page.url and "period=2026-06" in page.url
    page.goto(page.url)
    ready(page, period="2026-06", clerk="c02")
    assert page.input_value("#rp-clerk") == "c02" and page.input_value("#rp-kind") == "month"

    # the heat map switches to waiting times
    page.click("#rp-heat-mode button[data-heat=wait]")
    page.wait_for_selector("#rp-heat[data-mode=wait]", state="attached")

    # the downloads: what the page shows, as files
    with page.expect_download() as got:
        page.click("#rp-xlsx")
    xlsx = got.value
    assert xlsx.suggested_filename == "bao-cao-gialoc-2026-06-c02.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(Path(xlsx.path()).read_bytes()))
    official = wb[SHEETS["official"][0]]
    rows = [r for r in official.iter_rows(values_only=True) if r[1] == "Trần Văn Hùng"]
    assert rows and rows[0][6] == hung["official"]["rows"][0]["satisfaction_pct"]
    with page.expect_download() as got:
        page.click("#rp-pdf")
    pdf = got.value
    assert pdf.suggested_filename == "bao-cao-gialoc-2026-06-c02.pdf"
    assert Path(pdf.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as got:
        page.click("#rp-csv")
    assert got.value.suggested_filename == "bao-cao-gialoc-2026-06-c02-clerk.csv"

    # an impossible day typed in: the server's message, nothing shown as if it were fine
    page.select_option("#rp-kind", "day")
    ready(page, period="2026-06-01", clerk="c02")
    page.fill("#rp-day", "30/02/2026")
    page.press("#rp-day", "Enter")
    page.wait_for_selector("#rp-body[data-state=error]", state="attached")
    assert "không có ngày 2026-02-30" in page.locator("#rp-error").inner_text()
    assert page.locator("#rp-body").is_hidden()
    assert not csp_errors(errors), errors
    page.context.close()


def vi_int(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def test_conduct_items_per_clerk_and_service(browser: Any, web: WebServer) -> None:
    page, errors = open_reports(browser, web, "giamsat", f"period={QUARTER}")
    ready(page, period=QUARTER)
    report = api_view(web, "giamsat", period=QUARTER)["report"]
    clerks = report["by"]["clerk"]
    order = [i.code for i in CONDUCT_ITEMS]
    totals = {c: sum(r["figures"]["reasons"].get(c, 0) for r in clerks) for c in order}
    top = min(order, key=lambda c: (-totals[c], order.index(c)))  # Pareto, ties: model order
    most = max(clerks, key=lambda r: sum(r["figures"]["reasons"].values()))
    assert totals[top] > 0 and sum(most["figures"]["reasons"].values()) > 0

    table = page.locator("#rp-items[data-by=clerk][data-kind=reasons]")
    heads = table.locator("thead th[data-key]").all_inner_texts()
    assert heads == [r["label"] for r in clerks] + ["Tổng"]
    assert table.locator("tbody tr").count() == 13  # every reason, given or not
    assert table.locator("tbody tr").first.get_attribute("data-code") == top
    # the clerk given most reasons: the page's count of the top item is the API's
    n = most["figures"]["reasons"].get(top, 0)
    cell = table.locator(f'tbody tr[data-code="{top}"] td[data-key="{most["key"]}"]')
    assert cell.inner_text() == (vi_int(n) if n else "·")
    total = table.locator(f'tbody tr[data-code="{top}"] td[data-key="total"]')
    assert total.inner_text() == vi_int(totals[top])
    mine = max(order, key=lambda c: most["figures"]["reasons"].get(c, 0))
    cell = table.locator(f'tbody tr[data-code="{mine}"] td[data-key="{most["key"]}"]')
    assert cell.inner_text() == vi_int(most["figures"]["reasons"][mine])
    assert no_sideways_scroll(page)

    # by service: the column heads become the services' names
    page.locator("#rp-items-by").get_by_role("button", name="Lĩnh vực").click()
    page.wait_for_selector("#rp-items[data-by=service][data-kind=reasons]", state="attached")
    table = page.locator("#rp-items[data-by=service][data-kind=reasons]")
    services = [r["label"] for r in report["by"]["service"]]
    assert table.locator("thead th[data-key]").all_inner_texts() == [*services, "Tổng"]
    assert "Tư pháp – Hộ tịch" in services
    assert "items_by=service" in page.url
    # what was praised: the 8 items of 4 Xin / 4 Luôn
    page.locator("#rp-items-kind").get_by_role("button", name="Điều được khen").click()
    page.wait_for_selector("#rp-items[data-by=service][data-kind=praised]", state="attached")
    table = page.locator("#rp-items[data-by=service][data-kind=praised]")
    codes = table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert sorted(codes) == sorted(PRAISE_CODES)
    assert no_sideways_scroll(page)
    right = page.evaluate("document.getElementById('rp-items-card').getBoundingClientRect().right")
    assert right <= CONSOLE["width"]
    # the address keeps the view
    assert "items=praised" in page.url
    page.goto(page.url)
    ready(page, period=QUARTER)
    page.wait_for_selector("#rp-items[data-by=service][data-kind=praised] tbody tr")
    assert page.locator("#rp-items-by button.on").inner_text() == "Lĩnh vực"
    assert not csp_errors(errors), errors
    page.context.close()


def test_a_clerk_sees_only_their_own_figures(browser: Any, web: WebServer) -> None:
    # even asking for another clerk in the address gives their own
    page, errors = open_reports(browser, web, "lan", f"period={QUARTER}&clerk=c02")
    ready(page, period=QUARTER, clerk="c01")
    assert page.locator("#rp-clerk").is_disabled()
    assert page.locator("#rp-clerk option").all_inner_texts() == ["Nguyễn Thị Lan"]
    keys = page.locator("#rp-table tbody tr[data-key]").evaluate_all(
        "rows => rows.map(r => r.dataset.key)"
    )
    assert keys == ["c01"]
    assert page.locator("#doc-table tbody tr").count() == 2  # their line and the total
    mine = api_view(web, "lan", period=QUARTER)
    assert headline(page)[0] == mine["report"]["total"]["satisfaction_pct"]
    assert "Cán bộ chỉ xem được số liệu của chính mình" in page.locator("#rp-form").inner_text()
    assert not csp_errors(errors), errors
    page.context.close()


@pytest.mark.parametrize("viewport", [CONSOLE, TV], ids=["1366", "1920"])
def test_the_page_fits_the_screen(
    browser: Any, web: WebServer, shots: Path, viewport: dict[str, int]
) -> None:
    page, errors = open_reports(browser, web, "giamsat", f"period={QUARTER}", viewport)
    ready(page, period=QUARTER)
    assert no_sideways_scroll(page)
    for chart in CHARTS:
        assert page.evaluate(DRAWN, chart), f"{chart} is blank"
    # the cards and the charts keep inside the window
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.rp-card, .rp-chart, .card')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert right <= viewport["width"]
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"page-{viewport['width']}.png"), full_page=True)
    assert not csp_errors(errors), errors
    page.context.close()


def test_citizens_words_show_as_typed(browser: Any, web: WebServer) -> None:
    """Comments given on phones and suggestions are listed as text: markup shows as
    typed, no script runs; the supervisor sees the contact, a clerk no suggestions."""
    rt, week = web.rt, "2026-W40"
    rate_by_phone(rt.db, rt.config, date(2026, 9, 28), date(2026, 9, 30), HOSTILE)
    with rt.db.write() as s:
        add_suggestions(s, rt.config, date(2026, 9, 29), HOSTILE, handled=2)
    page, errors = open_reports(browser, web, "giamsat", f"period={week}")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ready(page, period=week)
    said = page.locator("#rp-comments td.rp-said").all_text_contents()
    assert set(HOSTILE) <= set(said)
    texts = page.locator("#rp-suggestions td.rp-said").all_text_contents()
    assert set(HOSTILE) <= set(texts)
    # nothing a citizen typed became an element
    assert (
        page.locator(
            "#rp-comments b, #rp-comments i, #rp-suggestions b, #rp-citizens script"
        ).count()
        == 0
    )
    assert not dialogs
    assert CONTACT in page.locator("#rp-suggestions td.rp-contact").all_text_contents()
    view = api_view(web, "giamsat", period=week)["report"]
    phone = view["total"]["by_source"]["phone"]
    by_phone = page.locator("#card-letters li").filter(has_text="Điện thoại").locator("b")
    assert by_phone.inner_text() == str(phone)
    counts = view["citizens"]["suggestions"]
    assert f"Góp ý nhận được: {counts['received']}" in page.locator("#rp-sugg-counts").inner_text()
    assert page.locator("#rp-suggestions tr.open").count() == counts["open"]
    assert page.locator("#rp-comments tbody tr").count() == view["citizens"]["comments_total"]
    assert not csp_errors(errors), errors
    page.context.close()
    # a clerk: their own comments, and no suggestion box
    page, errors = open_reports(browser, web, "hung", f"period={week}")
    ready(page, period=week, clerk="c02")
    assert page.locator("#rp-sugg-part").is_hidden()
    clerks = page.locator("#rp-comments tbody tr.comment td:nth-child(5)").all_text_contents()
    assert set(clerks) <= {"Trần Văn Hùng"}, clerks
    assert not csp_errors(errors), errors
    page.context.close()
