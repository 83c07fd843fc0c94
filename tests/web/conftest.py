"""Fixtures of the web tests: the server over HTTP on a free port (real Mosquitto, SQLite)
and Debian's Chromium driven by Playwright (headless, sound allowed without a click)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.runtime import ServerRuntime
from tests.support.web import WebServer, chromium, serve_http


@pytest.fixture
def web(site_server: ServerRuntime) -> Iterator[WebServer]:
    with serve_http(site_server) as w:
        yield w


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    # session-wide: tests/web runs last (a later asyncio.run would find Playwright's loop)
    with chromium() as b:
        yield b
