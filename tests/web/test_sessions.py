"""A page's live stream ends with its session: after the log-out form, an API
log-out (bearer or cookie), ``motcua user revoke`` run by another process, or expiry,
the server closes ``/ws/live`` with 4401 — and the API log-out ends a cookie session."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import ClientConnection

from server.auth.sessions import SESSION_COOKIE
from server.web.live import SESSION_ENDED
from tests.support.http import PASSWORD
from tests.support.sites import write_site
from tests.support.web import WebServer, browser_login, closed_by_server, csrf_of

MOTCUA = str(Path(sys.executable).with_name("motcua"))
#: The server checks the sessions every 0.5 s (at once after a log-out of its own); the
#: margin is for a busy machine.
WITHIN_S = 3.0


@pytest.fixture
def lan(web: WebServer) -> Iterator[httpx.Client]:
    client = browser_login(web, "lan")
    yield client
    client.close()


def _assert_session_ended(ws: ClientConnection) -> None:
    close = closed_by_server(ws, WITHIN_S)
    assert (close.code, close.reason) == SESSION_ENDED


def test_the_log_out_form_closes_the_stream(web: WebServer, lan: httpx.Client) -> None:
    ws = web.live(lan.cookies[SESSION_COOKIE], "desk:q1")
    assert lan.post("/logout", data={"csrf_token": csrf_of(lan)}).status_code == 303
    _assert_session_ended(ws)


def test_an_api_log_out_with_a_bearer_token_closes_the_stream(web: WebServer) -> None:
    r = httpx.post(f"{web.url}/api/login", json={"username": "giamsat", "password": PASSWORD})
    token = r.json()["token"]
    ws = web.live(token, "dashboard")
    r = httpx.post(f"{web.url}/api/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    _assert_session_ended(ws)


def test_an_api_log_out_with_the_cookie_ends_the_session(web: WebServer, lan: httpx.Client) -> None:
    session = lan.cookies[SESSION_COOKIE]
    ws = web.live(session, "desk:q1")
    r = lan.post("/api/logout")  # the cookie alone: CSRF, as for every change
    assert r.status_code == 403 and r.json()["detail"]["code"] == "csrf"
    assert lan.get("/desk/q1").status_code == 200, "the session lives on"

    r = lan.post("/api/logout", headers={"X-CSRF-Token": csrf_of(lan)})
    assert r.status_code == 204
    cleared = r.headers.get("set-cookie", "")
    assert cleared.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in cleared, cleared
    _assert_session_ended(ws)
    # the session is gone from the server, not only from this browser
    with httpx.Client(base_url=web.url, cookies={SESSION_COOKIE: session}) as old:
        assert old.get("/desk/q1").status_code == 303
    r = httpx.post(f"{web.url}/api/logout", headers={"Authorization": f"Bearer {session}"})
    assert r.status_code == 401


def test_revoking_the_user_from_another_process_closes_the_stream(
    web: WebServer, tmp_path: Path
) -> None:
    """`motcua user revoke` writes the shared database from its own process: nothing in
    the server is told; its periodic check sees it."""
    ws = web.live(web.board_token(), "board")
    site = write_site(tmp_path / "site.yaml", server={"database_url": web.rt.db.url})
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    revoke = subprocess.run(
        [MOTCUA, "user", "revoke", "tv-sanh", "--config", str(site)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert revoke.returncode == 0 and "1" in revoke.stdout, revoke.stderr
    _assert_session_ended(ws)


def test_an_expired_session_closes_the_stream(web: WebServer) -> None:
    ttl = 3.0  # long enough to connect on a busy machine
    expires = time.monotonic() + ttl
    ws = web.live(web.token("giamsat", timedelta(seconds=ttl)), "board")
    close = closed_by_server(ws, expires + WITHIN_S - time.monotonic())
    assert (close.code, close.reason) == SESSION_ENDED
    assert time.monotonic() >= expires - 0.1, "closed because it expired, not before"
