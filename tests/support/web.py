"""The web app served by uvicorn on a free port (for the browser), log-in accounts, a
browser-like log-in, and the live stream over a real WebSocket."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import uvicorn
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close
from websockets.sync.client import ClientConnection, connect

from server.app import create_app
from server.auth.sessions import SESSION_COOKIE, csrf_token
from server.auth.tokens import issue_token
from server.auth.users import add_user, user_of
from server.config import HttpSettings
from server.db.tables import UserRow
from server.runtime import ServerRuntime
from server.serve import http_config
from tests.support.http import PASSWORD
from tests.support.services import free_port, unavailable
from tests.support.waiting import eventually

#: username → (role, clerk id): one account of each role, and a second clerk.
ACCOUNTS: dict[str, tuple[str, str | None]] = {
    "admin": ("admin", None),
    "giamsat": ("supervisor", None),
    "lan": ("clerk", "c01"),
    "hung": ("clerk", "c02"),
    "tv-sanh": ("board", None),
}


@dataclass
class WebServer:
    rt: ServerRuntime
    url: str

    def board_token(self, username: str = "tv-sanh") -> str:
        """A long-lived read-only token for a display, as ``motcua user board-token`` makes."""
        return self.token(username, timedelta(days=365))

    def token(self, username: str, ttl: timedelta) -> str:
        """A token (a session) of ``username`` valid for ``ttl``."""
        with self.rt.db.write() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            assert row is not None
            token, _ = issue_token(s, user_of(row), ttl)
        return token

    def connect_live(self, session: str | None, channel: str) -> ClientConnection:
        """A WebSocket to ``/ws/live?channel=…`` with session cookie ``session``."""
        cookie = {"Cookie": f"{SESSION_COOKIE}={session}"} if session else {}
        return connect(
            f"ws{self.url.removeprefix('http')}/ws/live?{urlencode({'channel': channel})}",
            additional_headers=cookie,
            open_timeout=10,
        )

    def live(self, session: str, channel: str) -> ClientConnection:
        """The live stream of ``channel`` as a page with session ``session`` opens it;
        its snapshot has been received."""
        ws = self.connect_live(session, channel)
        first = json.loads(ws.recv(timeout=10))
        assert first["type"] == "snapshot", first
        return ws


def closed_by_server(ws: ClientConnection, within: float) -> Close:
    """Wait (at most ``within`` s) until the server closes ``ws``, reading past what it
    still sends; its close frame."""

    def closed() -> ConnectionClosed | None:
        try:
            ws.recv(timeout=0.2)  # a message it still sends (a timeout: not yet)
        except ConnectionClosed as e:
            return e
        return None

    e = eventually(closed, "the server to close the stream", within, interval=0)
    assert e.rcvd is not None, "closed without a close frame"
    return e.rcvd


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


def add_accounts(rt: ServerRuntime) -> None:
    with rt.db.write() as s:
        for username, (role, clerk) in ACCOUNTS.items():
            if s.scalar(select(UserRow.id).where(UserRow.username == username)) is None:
                add_user(s, rt.config, username, PASSWORD, role, clerk)


@contextmanager
def serve_http(rt: ServerRuntime, http: HttpSettings | None = None) -> Iterator[WebServer]:
    """The app on 127.0.0.1 and a free port, run by uvicorn as ``motcua server`` runs it
    (``http``: other HTTP settings than the site's, e.g. trusted proxies)."""
    port = free_port()
    settings = (http or rt.config.server.http).model_copy(update={"host": "127.0.0.1"})
    server = uvicorn.Server(http_config(create_app(rt), settings, port))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(url + "/api/health", timeout=1).status_code in (200, 503)
        except httpx.HTTPError:
            return False

    eventually(answers, "the web server to answer /api/health", 15)
    add_accounts(rt)
    try:
        yield WebServer(rt, url)
    finally:
        server.should_exit = True
        thread.join(10)


CHROMIUM = os.environ.get("MOTCUA_CHROMIUM", "/usr/bin/chromium")


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (headless, sound without a click). While it
    runs, Playwright's event loop is the main thread's: ``asyncio.run`` there fails, so a
    fixture holding it must end before tests that use it (see the fixtures' scopes)."""
    if not shutil.which(CHROMIUM):
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--autoplay-policy=no-user-gesture-required", "--no-sandbox"],
        )
        yield b
        b.close()
