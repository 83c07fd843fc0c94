"""The hub's pages over HTTP: the log-in, the overview's figures as JSON (one province,
two groups, online and offline offices), and the scoped roles — an office supervisor
sees only their office and gets a 403 (a Vietnamese page, or JSON) for another; nobody
logged in is sent to the log-in page (401 on /api/…)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from protocol.codes import TicketState
from server.config import SiteConfig
from tests.hub.conftest import HubWeb
from tests.hub.web_data import Visits, add_account, add_office, served_and_rated
from tests.support.http import PASSWORD

ALERT = {"code": "printer_paper_out", "vi": "Ki-ốt 1 hết giấy", "en": "Kiosk 1 is out of paper"}


def login(web: HubWeb | str, username: str, password: str = PASSWORD) -> httpx.Client:
    """Log in through the form, as a browser does; the client keeps the cookies."""
    client = httpx.Client(base_url=web if isinstance(web, str) else web.url)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    r = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token[1]}
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/"
    return client


@pytest.fixture
def province(hub_web: HubWeb) -> dict[str, SiteConfig]:
    """Gia Lộc (online: 3 waiting, 5 served, 3 of 4 ratings satisfied, an alert) and
    Gia Xuyên (offline: last heard 10 minutes ago, 2 facts not yet at the hub) in one
    group; Tứ Kỳ (online, nothing today) in another; accounts: a hub supervisor and
    Gia Lộc's office supervisor."""
    db = hub_web.db
    gialoc = add_office(db, "gialoc", "Xã Gia Lộc", "Cụm Gia Lộc", alerts=[ALERT])
    add_office(
        db,
        "giaxuyen",
        "Xã Gia Xuyên",
        "Cụm Gia Lộc",
        seen_ago_s=600,
        backlog={"ratings": 2, "ticket_events": 0},
    )
    add_office(db, "tuky", "Xã Tứ Kỳ", "Cụm Tứ Kỳ")
    v = Visits(db, "gialoc")
    for _ in range(3):
        v.ticket(TicketState.ISSUED)
    served_and_rated(v, served=5, satisfied=3, dissatisfied=1)
    x = Visits(db, "giaxuyen")
    served_and_rated(x, served=2, satisfied=2, dissatisfied=0)
    add_account(db, gialoc, "tinh", "supervisor", None)
    add_account(db, gialoc, "gs-gialoc", "supervisor", "gialoc")
    return {"gialoc": gialoc}


def by_code(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["code"]: o for o in data["offices"]}


def test_the_overview_counts_each_office_group_and_the_province(
    hub_web: HubWeb, province: dict[str, SiteConfig]
) -> None:
    data = login(hub_web.url, "tinh").get("/api/overview").json()
    offices = by_code(data)
    assert list(offices) == ["giaxuyen", "gialoc", "tuky"] or set(offices) == {
        "gialoc",
        "giaxuyen",
        "tuky",
    }
    g = offices["gialoc"]
    assert (g["online"], g["waiting"], g["served"], g["ratings"]) == (True, 3, 5, 4)
    assert g["satisfaction_pct"] == 75.0
    assert g["alerts"] == [ALERT]
    assert g["target_pct"] == 95.0  # the office's own rating.targets (the example's)
    x = offices["giaxuyen"]
    assert (x["online"], x["served"], x["satisfaction_pct"], x["backlog"]) == (False, 2, 100.0, 2)
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", x["last_contact_text"])
    t = offices["tuky"]
    assert (t["online"], t["served"], t["satisfaction_pct"]) == (True, 0, None)
    groups = {g["name"]: g["figures"] for g in data["groups"]}
    assert list(groups) == ["Cụm Gia Lộc", "Cụm Tứ Kỳ"]
    cluster = groups["Cụm Gia Lộc"]
    assert (cluster["offices"], cluster["online"], cluster["served"]) == (2, 1, 7)
    assert (cluster["ratings"], cluster["satisfied"], cluster["satisfaction_pct"]) == (6, 5, 83.3)
    total = data["total"]
    assert (total["offices"], total["online"], total["waiting"], total["served"]) == (3, 2, 3, 7)


def test_a_link_down_office_is_offline_even_if_it_spoke_a_moment_ago(hub_web: HubWeb) -> None:
    cfg = add_office(hub_web.db, "camgiang", "Xã Cẩm Giàng", "Cụm A", link_up=False)
    add_account(hub_web.db, cfg, "tinh", "admin", None)
    (office,) = login(hub_web.url, "tinh").get("/api/overview").json()["offices"]
    assert office["online"] is False


def test_an_office_supervisor_sees_only_their_office(
    hub_web: HubWeb, province: dict[str, SiteConfig]
) -> None:
    client = login(hub_web.url, "gs-gialoc")
    data = client.get("/api/overview").json()
    assert [o["code"] for o in data["offices"]] == ["gialoc"]
    assert data["total"]["served"] == 5
    assert client.get("/api/offices/gialoc").status_code == 200
    page = client.get("/offices/gialoc")
    assert page.status_code == 200 and "Xã Gia Lộc" in page.text

    for path in ("/offices/giaxuyen", "/offices/no-such-office"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "chỉ được xem đơn vị của mình" in refused.text
        assert "Xã Gia Xuyên" not in refused.text
    refused_json = client.get("/api/offices/giaxuyen")
    assert refused_json.status_code == 403
    assert refused_json.json()["detail"]["code"] == "forbidden"


def test_a_hub_supervisor_opens_every_office_and_a_404_for_an_unknown_one(
    hub_web: HubWeb, province: dict[str, SiteConfig]
) -> None:
    client = login(hub_web.url, "tinh")
    for code in ("gialoc", "giaxuyen", "tuky"):
        assert client.get(f"/offices/{code}").status_code == 200
    assert client.get("/offices/nowhere").status_code == 404
    assert client.get("/api/offices/nowhere").json()["detail"]["code"] == "unknown_site"


def test_nobody_logged_in_is_sent_to_the_log_in(hub_web: HubWeb) -> None:
    with httpx.Client(base_url=hub_web.url) as anon:
        r = anon.get("/offices/gialoc")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/offices/gialoc"
        assert anon.get("/").headers["location"] == "/login?next=/"
        r = anon.get("/api/overview")
        assert r.status_code == 401 and r.json()["detail"]["code"] == "not_logged_in"
        page = anon.get("/login")
        assert "Đăng nhập" in page.text and "Trung tâm giám sát một cửa" in page.text
        assert "Content-Security-Policy" in page.headers


def test_wrong_password_clerk_accounts_and_log_out(
    hub_web: HubWeb, province: dict[str, SiteConfig]
) -> None:
    client = httpx.Client(base_url=hub_web.url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    r = client.post(
        "/login", data={"username": "tinh", "password": "sai-mat-khau-1", "csrf_token": token[1]}
    )
    assert r.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in r.text

    from server.auth.users import add_user

    with hub_web.db.write() as s:
        add_user(s, province["gialoc"], "lan", PASSWORD, "clerk", "c01")
    r = client.post(
        "/login", data={"username": "lan", "password": PASSWORD, "csrf_token": token[1]}
    )
    assert r.status_code == 403 and "không dùng được trang trung tâm" in r.text

    client = login(hub_web.url, "tinh")
    assert client.get("/api/overview").status_code == 200
    from server.auth.sessions import SESSION_COOKIE, csrf_token

    csrf = csrf_token(client.cookies[SESSION_COOKIE])
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/api/overview").status_code == 401


def test_english_pages(hub_web: HubWeb, province: dict[str, SiteConfig]) -> None:
    client = login(hub_web.url, "tinh")
    client.get("/lang/en")
    page = client.get("/")
    assert "Province overview" in page.text and "Rank by" in page.text
