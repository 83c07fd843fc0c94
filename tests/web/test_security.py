"""Accounts, roles, sessions and CSRF over real HTTP: each role is refused the pages and
actions of the others, a request without the CSRF token is refused, the board's token
cannot act, and wrong passwords are rate-limited."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.http.app import create_app
from server.http.auth import SESSION_COOKIE, csrf_token
from tests.support.http import PASSWORD
from tests.support.web import WebServer

SITE = "gialoc"


def browser_login(web: WebServer, username: str, password: str = PASSWORD) -> httpx.Client:
    """Log in through the form, as a browser does; the client keeps the cookies."""
    client = httpx.Client(base_url=web.url)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    r = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token[1]}
    )
    assert r.status_code == 303, r.text
    return client


def csrf_of(client: httpx.Client) -> str:
    return csrf_token(client.cookies[SESSION_COOKIE])


def action(
    client: httpx.Client, desk: str, name: str, csrf: str | None, **body: str
) -> httpx.Response:
    headers = {"X-CSRF-Token": csrf} if csrf is not None else {}
    return client.post(f"/api/sites/{SITE}/desks/{desk}/{name}", json=body or None, headers=headers)


@pytest.fixture
def clients(web: WebServer) -> Iterator[dict[str, httpx.Client]]:
    out = {u: browser_login(web, u) for u in ("admin", "giamsat", "lan", "hung")}
    board = httpx.Client(base_url=web.url)
    r = board.get(f"/board?token={web.board_token()}")
    assert r.status_code == 303 and r.headers["location"] == "/board"
    out["tv-sanh"] = board
    yield out
    for c in out.values():
        c.close()


PAGES = ["/board", "/desk", "/desk/q1", "/dashboard"]
ALLOWED = {
    "tv-sanh": {"/board"},
    "lan": {"/desk", "/desk/q1"},
    "giamsat": {"/board", "/desk", "/desk/q1", "/dashboard"},
    "admin": {"/board", "/desk", "/desk/q1", "/dashboard"},
}


def test_each_role_sees_its_pages_and_is_refused_the_others(
    clients: dict[str, httpx.Client],
) -> None:
    for user, allowed in ALLOWED.items():
        for page in PAGES:
            r = clients[user].get(page)
            if page in allowed:
                assert r.status_code in (200, 303), (user, page, r.status_code)
            else:
                assert r.status_code == 403, (user, page, r.status_code)
                assert "không được mở trang này" in r.text


def test_without_a_session_every_page_sends_to_the_log_in(web: WebServer) -> None:
    with httpx.Client(base_url=web.url) as anon:
        for page in PAGES:
            r = anon.get(page)
            assert r.status_code == 303 and r.headers["location"] == f"/login?next={page}"
        assert anon.get("/board/audio/chime.wav").status_code == 401
        assert anon.get(f"/api/sites/{SITE}/devices").status_code == 401


def test_actions_are_refused_to_the_roles_that_may_not_take_them(
    clients: dict[str, httpx.Client], web: WebServer
) -> None:
    lan, hung, board = clients["lan"], clients["hung"], clients["tv-sanh"]
    assert action(lan, "q1", "open", csrf_of(lan)).status_code == 200
    # another clerk cannot drive Lan's desk
    r = action(hung, "q1", "call-next", csrf_of(hung))
    assert r.status_code == 403 and r.json()["detail"]["code"] == "not_your_desk"
    # the board's session cannot act, even with its CSRF token
    r = action(board, "q1", "call-next", csrf_of(board))
    assert r.status_code == 403 and r.json()["detail"]["code"] == "forbidden"
    # nor with its token as a bearer
    bearer = httpx.post(
        f"{web.url}/api/sites/{SITE}/desks/q1/close",
        headers={"Authorization": f"Bearer {web.board_token()}"},
    )
    assert bearer.status_code == 403
    # a clerk is refused the supervisors' data
    assert lan.get(f"/api/sites/{SITE}/devices").status_code == 403
    assert lan.get(f"/api/sites/{SITE}/desks/stats").status_code == 403
    with web.rt.db.read() as s:
        d = web.rt.engine.desk_state(s, "q1")
    assert d.open and d.clerk is not None and d.clerk.id == "c01", "nothing changed"


def test_a_state_change_without_the_csrf_token_is_refused(
    clients: dict[str, httpx.Client], web: WebServer
) -> None:
    lan = clients["lan"]
    for csrf in (None, "", "0" * 40, csrf_of(clients["hung"])):
        r = action(lan, "q1", "open", csrf)
        assert r.status_code == 403, csrf
        assert r.json()["detail"]["code"] == "csrf"
    with web.rt.db.read() as s:
        assert not web.rt.engine.desk_state(s, "q1").open, "the desk stayed closed"
    assert action(lan, "q1", "open", csrf_of(lan)).status_code == 200
    # log-out is a form: without its token it is refused and the session lives on
    assert lan.post("/logout", data={}).status_code == 403
    assert lan.get("/desk/q1").status_code == 200
    r = lan.post("/logout", data={"csrf_token": csrf_of(lan)})
    assert r.status_code == 303
    assert lan.get("/desk/q1").status_code == 303, "logged out"


def test_the_log_in_form_needs_its_own_token(web: WebServer) -> None:
    with httpx.Client(base_url=web.url) as c:
        r = c.post("/login", data={"username": "lan", "password": PASSWORD, "csrf_token": "x"})
        assert r.status_code == 403 and SESSION_COOKIE not in c.cookies


def test_cookies_are_httponly_and_samesite(web: WebServer) -> None:
    c = httpx.Client(base_url=web.url)
    form = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    r = c.post("/login", data={"username": "lan", "password": PASSWORD, "csrf_token": token[1]})
    cookie = next(
        v for k, v in r.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    page = c.get("/desk/q1")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-frame-options"] == "DENY"


def test_wrong_passwords_are_rate_limited(web: WebServer) -> None:
    with httpx.Client(base_url=web.url) as c:
        for _ in range(5):
            r = c.post("/api/login", json={"username": "lan", "password": "sai-mat-khau-123"})
            assert r.status_code == 401
        r = c.post("/api/login", json={"username": "lan", "password": PASSWORD})
        assert r.status_code == 429, "even the right password waits"
        assert int(r.headers["retry-after"]) > 0
        assert "thử lại sau" in r.json()["detail"]["message"]
        # the log-in form says so too
        form = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        r = c.post("/login", data={"username": "lan", "password": PASSWORD, "csrf_token": token[1]})
        assert r.status_code == 429 and "thử lại sau" in r.text
        # another account is not locked out by Lan's failures
        r = c.post("/api/login", json={"username": "hung", "password": PASSWORD})
        assert r.status_code == 200


def test_live_channels_follow_the_roles(web: WebServer, clients: dict[str, httpx.Client]) -> None:
    with TestClient(create_app(web.rt)) as tc:

        def connect(user: str, channel: str, origin: str | None = None) -> str:
            tc.cookies.clear()
            tc.cookies.set(SESSION_COOKIE, clients[user].cookies[SESSION_COOKIE])
            headers = {"origin": origin} if origin else {}
            try:
                with tc.websocket_connect(f"/ws/live?channel={channel}", headers=headers) as ws:
                    return str(ws.receive_json()["type"])
            except WebSocketDisconnect as e:
                return f"closed {e.code}"

        assert connect("tv-sanh", "board") == "snapshot"
        assert connect("tv-sanh", "dashboard") == "closed 1008"
        assert connect("tv-sanh", "desk:q1") == "closed 1008"
        assert connect("lan", "desk:q1") == "snapshot"
        assert connect("lan", "dashboard") == "closed 1008"
        assert connect("giamsat", "dashboard") == "snapshot"
        assert connect("giamsat", "desk:q99") == "closed 1008"
        # another site's page cannot open the stream with the user's cookie
        assert connect("giamsat", "dashboard", origin="http://evil.example") == "closed 1008"
