"""The web app served by uvicorn on a free port (for the browser), and log-in accounts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import uvicorn
from sqlalchemy import select

from server.db.tables import UserRow
from server.http.app import create_app
from server.runtime import ServerRuntime
from server.users import User, add_user, issue_token
from tests.support.http import PASSWORD
from tests.support.services import free_port

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
        with self.rt.db.write() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            assert row is not None
            user = User(row.id, row.username, row.role, row.clerk_id)  # type: ignore[arg-type]
            token, _ = issue_token(s, user, timedelta(days=365))
        return token


def add_accounts(rt: ServerRuntime) -> None:
    with rt.db.write() as s:
        for username, (role, clerk) in ACCOUNTS.items():
            if s.scalar(select(UserRow.id).where(UserRow.username == username)) is None:
                add_user(s, rt.config, username, PASSWORD, role, clerk)


@contextmanager
def serve_http(rt: ServerRuntime) -> Iterator[WebServer]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(rt), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            if httpx.get(url + "/api/health", timeout=1).status_code in (200, 503):
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    add_accounts(rt)
    try:
        yield WebServer(rt, url)
    finally:
        server.should_exit = True
        thread.join(10)
