"""Fixtures of the web tests: the server over HTTP on a free port (real Mosquitto, SQLite)
and Debian's Chromium driven by Playwright (headless, sound allowed without a click)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from server.runtime import ServerRuntime
from tests.support.services import unavailable
from tests.support.web import WebServer, serve_http

CHROMIUM = os.environ.get("MOTCUA_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def web(site_server: ServerRuntime) -> Iterator[WebServer]:
    with serve_http(site_server) as w:
        yield w


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
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
