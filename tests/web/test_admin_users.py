"""The accounts page in a real browser (issue 15, "Users"): an admin disables a clerk on
``/admin/users`` and the clerk's open console loses its session at once; the audit log
on the page shows the change with its actor; a reset password is shown once and works;
a supervisor gets the "forbidden" page. Pages run under their real CSP.

The screenshot goes to docs/img/admin-users.png with ``MOTCUA_SCREENSHOTS=docs/img``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.http import PASSWORD
from tests.support.web import WebServer

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1366, "height": 768}
WAIT_MS = 30_000


def logged_in(browser: Any, web: WebServer, username: str, errors: list[str]) -> Any:
    page = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "favicon" not in m.location.get("url", "")
            else None
        ),
    )
    page.goto(web.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{username} could not log in"
    return page


def test_an_admin_disables_a_clerk_whose_open_page_loses_its_session(
    browser: Any, web: WebServer, shots: Path
) -> None:
    errors: list[str] = []
    clerk = logged_in(browser, web, "lan", errors)
    clerk.goto(web.url + "/desk/q1")
    expect(clerk.locator("#desk-status")).to_be_visible(timeout=WAIT_MS)

    admin = logged_in(browser, web, "admin", errors)
    admin.click("nav a[href='/admin/users']")
    admin.wait_for_url(web.url + "/admin/users")
    expect(admin.locator("h1")).to_have_text("Quản lý tài khoản")
    row = admin.locator("#au-users tr[data-user=lan]")
    expect(row).to_contain_text("Đang dùng", timeout=WAIT_MS)
    expect(admin.locator("#au-users tr[data-user=admin]")).to_contain_text("(bạn)")

    row.locator("button[data-action=disable]").click()
    expect(admin.locator("#au-confirm-text")).to_contain_text("Khoá tài khoản lan?")
    admin.click("#au-confirm-ok")
    expect(row).to_contain_text("Đã khoá từ", timeout=WAIT_MS)
    expect(row.locator("button[data-action=enable]")).to_be_visible()

    # the clerk's console is sent to the log-in by its live stream, within seconds
    clerk.wait_for_url("**/login?next=*", timeout=WAIT_MS)
    refused = httpx.post(web.url + "/api/login", json={"username": "lan", "password": PASSWORD})
    assert refused.status_code == 401

    newest = admin.locator("#au-audit tbody tr").first
    expect(newest).to_have_attribute("data-action", "disable", timeout=WAIT_MS)
    expect(newest).to_contain_text("admin")
    expect(newest).to_contain_text("lan")
    expect(newest).to_contain_text("Khoá")
    expect(newest).to_contain_text("1 phiên đăng nhập kết thúc")  # words, not sessions_ended=1

    # a reset password is shown once, and works
    hung = admin.locator("#au-users tr[data-user=hung]")
    hung.locator("button[data-action=reset]").click()
    admin.click("#au-confirm-ok")
    expect(admin.locator("#au-secret")).to_be_visible(timeout=WAIT_MS)
    expect(admin.locator("#au-secret-label")).to_contain_text("Mật khẩu mới của hung")
    password = admin.inner_text("#au-secret-value").strip()
    works = httpx.post(web.url + "/api/login", json={"username": "hung", "password": password})
    assert works.status_code == 200, works.text
    shots.parent.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(shots.parent / "admin-users.png"), full_page=True)
    admin.click("#au-secret-close")
    expect(admin.locator("#au-secret")).to_be_hidden()

    # the last admin cannot be deleted, not even by themselves: no button for yourself
    assert admin.locator("#au-users tr[data-user=admin] button").count() == 0
    assert errors == [], errors


def test_an_admin_adds_an_account_with_a_generated_password(browser: Any, web: WebServer) -> None:
    errors: list[str] = []
    admin = logged_in(browser, web, "admin", errors)
    admin.goto(web.url + "/admin/users")
    admin.fill("#au-add input[name=username]", "mai")
    admin.select_option("#au-add select[name=role]", "clerk")
    admin.select_option("#au-add select[name=clerk_id]", "c01")
    admin.click("#au-add button[type=submit]")
    expect(admin.locator("#au-secret")).to_be_visible(timeout=WAIT_MS)
    password = admin.inner_text("#au-secret-value").strip()
    expect(admin.locator("#au-users tr[data-user=mai]")).to_contain_text("Cán bộ")
    r = httpx.post(web.url + "/api/login", json={"username": "mai", "password": password})
    assert r.status_code == 200 and r.json()["clerk_id"] == "c01"

    # a refused change is said on the page, in Vietnamese
    admin.fill("#au-add input[name=username]", "mai")
    admin.select_option("#au-add select[name=role]", "supervisor")
    admin.click("#au-add button[type=submit]")
    expect(admin.locator("#au-message")).to_contain_text("tài khoản mai đã có", timeout=WAIT_MS)
    # the browser notes the refused request (409) itself; nothing else went wrong
    assert [e for e in errors if "status of 409" not in e] == [], errors


def test_a_supervisor_and_a_clerk_get_the_forbidden_page(browser: Any, web: WebServer) -> None:
    errors: list[str] = []
    for username in ("giamsat", "hung"):
        page = logged_in(browser, web, username, errors)
        assert page.locator("nav a[href='/admin/users']").count() == 0
        response = page.goto(web.url + "/admin/users")
        assert response is not None and response.status == 403
        expect(page.locator("main")).to_contain_text(
            f"Tài khoản {username} không được mở trang này."
        )
    assert httpx.get(web.url + "/admin/users", follow_redirects=False).status_code == 303
