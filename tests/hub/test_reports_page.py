"""The hub's /reports page and its downloads, served by uvicorn over a real PostgreSQL
hub database holding three offices' generated history: the ranked table per office,
group and province; the scoped role (an office supervisor sees their office's line and
nothing else, in the page and the files; another office's table is a 403); bad input
worded in Vietnamese and English; and the page driven in Chromium (the pickers, the
levels, an office's official table, the Excel download)."""

from __future__ import annotations

import csv
import io
import re
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import openpyxl
import pytest

from hub.reports.compute import build_hub_report
from hub.reports.model import HubReport
from server.reports.period import parse_period
from tests.hub.conftest import HubWeb
from tests.hub.reports_data import NOW, OFFICES, PERIOD, SILENT, fill_hub
from tests.hub.web_data import add_account
from tests.support.http import PASSWORD

pytestmark = pytest.mark.postgres
CONSOLE = {"width": 1366, "height": 768}
LOAD_MS = 60_000


@pytest.fixture
def filled(hub_web: HubWeb) -> HubReport:
    """The three offices' history on the hub, a hub supervisor (``tinh``) and Gia Xuyên's
    office supervisor; the report the page should show."""
    configs = fill_hub(hub_web.db)
    add_account(hub_web.db, configs["gialoc"], "tinh", "supervisor", None)
    add_account(hub_web.db, configs["gialoc"], "gs-giaxuyen", "supervisor", "giaxuyen")
    return build_hub_report(hub_web.db, hub_web.config, parse_period(PERIOD), now=NOW)


def login(web: HubWeb, username: str) -> httpx.Client:
    """Log in through the form, as a browser does; the client keeps the cookies."""
    client = httpx.Client(base_url=web.url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert r.status_code == 303, r.text
    return client


def office_codes(html: str) -> list[str]:
    return re.findall(r'<tr data-office="([^"]+)"', html)


def test_a_hub_supervisor_sees_every_office_ranked_with_the_totals(
    hub_web: HubWeb, filled: HubReport
) -> None:
    with closing(login(hub_web, "tinh")) as c:
        page = c.get("/reports", params={"period": PERIOD}, timeout=60)
        assert page.status_code == 200, page.text[:500]
        assert office_codes(page.text) == [o.code for o in filled.offices]
        assert office_codes(page.text)[-1] == SILENT[0]
        assert 'id="hr-province"' in page.text and "Toàn tỉnh" in page.text
        assert filled.province is not None and filled.province.satisfaction_pct is not None
        assert f"{filled.province.satisfaction_pct:.1f}".replace(".", ",") in page.text
        assert "Tháng 8 năm 2026" in page.text
        assert f"/reports/official?office={filled.offices[0].code}&amp;period=2026-08" in page.text

        groups = c.get("/reports", params={"period": PERIOD, "by": "group"}, timeout=60)
        assert "Cụm Gia Lộc" in groups.text and "Cụm Tứ Kỳ" in groups.text
        assert "không lấy trung bình các tỷ lệ" in groups.text

        # one group only
        one = c.get("/reports", params={"period": PERIOD, "group": "Cụm Tứ Kỳ"}, timeout=60)
        assert sorted(office_codes(one.text)) == sorted(["tuky", SILENT[0]])

        r = c.get("/reports/export.csv", params={"period": PERIOD, "by": "group"}, timeout=60)
        assert r.status_code == 200
        assert 'filename="bao-cao-cac-don-vi-2026-08-group.csv"' in r.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["Xếp hạng", "Cụm", "Số đơn vị"] and len(rows) == 3

        r = c.get("/reports/official", params={"office": "tuky", "period": PERIOD}, timeout=60)
        assert r.status_code == 200
        assert "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG" in r.text and "Tổng cộng" in r.text
        r = c.get("/reports/official", params={"office": SILENT[0], "period": PERIOD})
        assert r.status_code == 200 and "Chưa nhận được cấu hình" in r.text


def test_an_office_supervisor_sees_their_office_only(hub_web: HubWeb, filled: HubReport) -> None:
    with closing(login(hub_web, "gs-giaxuyen")) as c:
        page = c.get("/reports", params={"period": PERIOD, "by": "province"}, timeout=60)
        assert page.status_code == 200
        assert office_codes(page.text) == ["giaxuyen"]
        assert 'id="hr-province"' not in page.text and 'id="hr-levels"' in page.text
        assert "Cụm Tứ Kỳ" not in page.text and "Xã Gia Lộc" not in page.text

        r = c.get("/reports/export.xlsx", params={"period": PERIOD}, timeout=60)
        assert r.status_code == 200
        assert 'filename="bao-cao-giaxuyen-2026-08.xlsx"' in r.headers["content-disposition"]
        wb = openpyxl.load_workbook(io.BytesIO(r.content))
        assert wb.sheetnames == ["Theo đơn vị", "BĐG giaxuyen"]
        text = " ".join(
            str(v)
            for ws in wb.worksheets
            for row in ws.iter_rows(values_only=True)
            for v in row
            if v
        )
        assert "Xã Gia Lộc" not in text and "tuky" not in text

        r = c.get("/reports/export.csv", params={"period": PERIOD, "by": "province"})
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert [row[1] for row in rows[1:]] == ["giaxuyen"]

        # another office, by any door: refused
        for path, params in (
            ("/reports/official", {"office": "tuky", "period": PERIOD}),
            ("/reports/export.xlsx", {"office": "tuky", "period": PERIOD}),
            ("/reports", {"office": "gialoc", "period": PERIOD}),
        ):
            assert c.get(path, params=params).status_code == 403, path


def test_bad_input_is_a_clear_error(hub_web: HubWeb, filled: HubReport) -> None:
    with closing(login(hub_web, "tinh")) as c:
        page = c.get("/reports", params={"period": "2026-13"})
        assert page.status_code == 422 and 'id="hr-error"' in page.text
        assert "2026-13" in page.text
        picked = c.get("/reports", params={"kind": "day", "day": "31/02/2026"})
        assert picked.status_code == 422 and 'id="hr-error"' in picked.text
        r = c.get("/reports/export.csv", params={"period": "2026-01-01..2032-01-01"})
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert (
            detail["message"] and detail["message_en"] and detail["message"] != detail["message_en"]
        )
        r = c.get("/reports/export.csv", params={"period": PERIOD, "by": "clerk"})
        assert (
            r.status_code == 422 and "office, group, province" in r.json()["detail"]["message_en"]
        )
        r = c.get("/reports", params={"period": PERIOD, "group": "Cụm Không Có"})
        assert r.status_code == 422 and "Không có cụm" in r.text
        r = c.get("/reports", params={"period": PERIOD, "office": "khongco"})
        assert r.status_code == 404
        r = c.get("/reports", params={"period": "x" * 300})
        assert r.status_code == 422
    assert httpx.get(hub_web.url + "/reports/export.xlsx").status_code in (401, 303)


def open_page(browser: Any, web: HubWeb, username: str, query: str) -> tuple[Any, list[str]]:
    context = browser.new_context(viewport=CONSOLE, locale="vi-VN", accept_downloads=True)
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
    page.wait_for_url(re.compile(r".*/reports.*"))
    return page, errors


def test_the_page_in_a_browser(browser: Any, hub_web: HubWeb, filled: HubReport) -> None:
    page, errors = open_page(browser, hub_web, "tinh", "period=2026-07")
    assert page.inner_text("#hr-title").endswith("Tháng 7 năm 2026")
    # the pickers: the month's fields only, then August chosen and shown
    assert page.is_visible("#hr-month") and not page.is_visible("#hr-day")
    page.select_option("#hr-kind", "quarter")
    assert page.is_visible("#hr-quarter") and not page.is_visible("#hr-month")
    page.select_option("#hr-kind", "month")
    page.select_option("#hr-month", "8")
    page.fill("#hr-year", "2026")
    page.click("#hr-show")
    page.wait_for_selector("#hr-title:has-text('Tháng 8 năm 2026')")
    shown = page.eval_on_selector_all(
        "#hr-table tbody tr", "rows => rows.map(r => r.dataset.office)"
    )
    assert shown == [o.code for o in filled.offices]
    sat = page.inner_text(f"#hr-table tr[data-office={filled.offices[0].code}] td.satisfaction")
    assert sat == f"{filled.offices[0].figures.satisfaction_pct:.1f}".replace(".", ",")
    # the table fits the console's width (it may scroll inside its card, not the page)
    assert page.evaluate("document.documentElement.scrollWidth") <= CONSOLE["width"]

    page.click("#hr-levels a[data-level=group]")
    page.wait_for_selector("#hr-table[data-level=group]")
    assert page.locator("#hr-table tbody tr").count() == 2

    page.click("#hr-levels a[data-level=office]")
    page.wait_for_selector("#hr-table[data-level=office]")
    with page.expect_download() as got:
        page.click("#hr-xlsx")
    xlsx = got.value
    assert xlsx.suggested_filename == "bao-cao-cac-don-vi-2026-08.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(Path(xlsx.path()).read_bytes()))
    assert wb.sheetnames[:3] == ["Theo đơn vị", "Theo cụm", "Toàn tỉnh"]

    first = filled.offices[0]
    page.click(f"#hr-table tr[data-office={first.code}] a.hr-official")
    page.wait_for_selector("#hr-official-title")
    assert page.inner_text("#hr-official-title") == "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG"
    names = {name for code, name, *_ in OFFICES if code == first.code}
    assert page.inner_text("#hr-official").upper().count(names.pop().upper()) >= 1
    assert errors == []
    page.context.close()
