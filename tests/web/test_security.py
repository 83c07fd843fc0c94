"""Accounts, roles, sessions and CSRF over real HTTP: each role is refused the pages and
actions of the others, a request without the CSRF token is refused, the board's token
cannot act (and only a board's token opens the board from a link), wrong passwords are
rate-limited whatever X-Forwarded-For says, and unknown live channels are refused."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.auth.sessions import SESSION_COOKIE
from server.config import HttpSettings
from server.readmodels.desk_state import desk_state
from server.runtime import ServerRuntime
from tests.support.http import PASSWORD
from tests.support.web import WebServer, browser_login, closed_by_server, csrf_of, serve_http

SITE = "gialoc"


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
        d = desk_state(web.rt.engine, s, "q1")
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
        assert not desk_state(web.rt.engine, s, "q1").open, "the desk stayed closed"
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


def test_only_a_board_token_opens_the_board_from_a_link(
    web: WebServer, clients: dict[str, httpx.Client]
) -> None:
    """A link ``/board?token=`` with a supervisor's, admin's or clerk's token would log
    whoever follows it in as that person, replacing their own session."""
    giamsat = clients["giamsat"]
    mine = giamsat.cookies[SESSION_COOKIE]
    for user in ("admin", "giamsat", "lan"):
        r = giamsat.get(f"/board?token={web.token(user, timedelta(hours=1))}")
        assert r.status_code == 401, (user, r.status_code)
        assert "Mã màn hình không hợp lệ" in r.text
        assert "set-cookie" not in r.headers, user
    assert giamsat.cookies[SESSION_COOKIE] == mine
    assert giamsat.get("/dashboard").status_code == 200, "still the supervisor's own session"
    with httpx.Client(base_url=web.url) as tv:  # a board's token still does
        r = tv.get(f"/board?token={web.board_token()}")
        assert r.status_code == 303 and SESSION_COOKIE in tv.cookies
        assert tv.get("/board").status_code == 200


WRONG = "sai-mat-khau-123"


def _log_in(c: httpx.Client, username: str, password: str, forwarded_for: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {"username": username, "password": password}
    return c.post("/api/login", json=body, headers=headers).status_code


def test_a_forged_forwarded_address_does_not_escape_the_rate_limit(web: WebServer) -> None:
    """No trusted proxy configured (the default): X-Forwarded-For is ignored, even from
    this machine, so rotating it gives no more guesses."""
    with httpx.Client(base_url=web.url) as c:
        for i in range(5):
            assert _log_in(c, "lan", WRONG, f"203.0.113.{i}") == 401
        assert _log_in(c, "lan", PASSWORD, "198.51.100.1") == 429, "one account"
        for i in range(15):  # 20 failures from one address, whatever the account
            assert _log_in(c, f"user{i}", WRONG, f"198.51.100.{i + 10}") == 401
        assert _log_in(c, "hung", PASSWORD, "198.51.100.99") == 429, "one address"


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(
    site_server: ServerRuntime,
) -> None:
    """With ``server.http.trusted_proxies`` the address the proxy forwards is the one
    counted: one client's failures do not lock out the others behind the proxy."""
    http = HttpSettings(trusted_proxies=["127.0.0.1"])
    with serve_http(site_server, http) as web, httpx.Client(base_url=web.url) as c:
        for _ in range(5):
            assert _log_in(c, "lan", WRONG, "203.0.113.7") == 401
        assert _log_in(c, "lan", PASSWORD, "203.0.113.7") == 429
        assert _log_in(c, "lan", PASSWORD, "203.0.113.8") == 200, "another client"
        assert _log_in(c, "lan", PASSWORD, None) == 200, "the proxy's own address"


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
        tc.cookies.clear()
        with (  # without a session: the page is sent to the log-in
            tc.websocket_connect("/ws/live?channel=board") as ws,
            pytest.raises(WebSocketDisconnect) as closed,
        ):
            ws.receive_json()
        assert closed.value.code == 4401


def test_unknown_live_channels_are_refused_cleanly(
    web: WebServer, clients: dict[str, httpx.Client], caplog: pytest.LogCaptureFixture
) -> None:
    """A channel that is not ``board``, ``dashboard`` or ``desk:{a desk of this site}``
    is closed with 1008 and a reason, and leaves no error in the server's log."""
    session = clients["giamsat"].cookies[SESSION_COOKIE]
    server_log = logging.getLogger("uvicorn.error")
    server_log.addHandler(caplog.handler)
    try:
        for channel in ("dashboard:x", "board:q1", "desk:zz", "desk:", "desk:q1:x", "x", ""):
            close = closed_by_server(web.connect_live(session, channel), within=10)
            assert (close.code, close.reason) == (1008, "Không có kênh này / unknown channel")
    finally:
        server_log.removeHandler(caplog.handler)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    web.live(session, "dashboard").close()  # and the stream still works
