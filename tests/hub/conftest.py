"""Fixtures of the hub tests: a fresh PostgreSQL database migrated to head (the hub's
database: the office schema plus ``offices`` and ``users.site``), the hub's web app
served by uvicorn on a free port, and Debian's Chromium (the web tests' fixture)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from hub.config import HubConfig
from hub.web.app import create_hub_app
from server.db.database import Database
from server.db.migrate import upgrade
from tests.support.services import create_pg_database, free_port
from tests.support.waiting import eventually
from tests.support.web import chromium


@pytest.fixture
def hub_db() -> Iterator[Database]:
    """A fresh PostgreSQL database migrated to head, dropped afterwards."""
    pg = create_pg_database()
    db = Database(pg.url)
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()
        pg.drop()


@pytest.fixture
def hub_config() -> HubConfig:
    return HubConfig(name="Tỉnh Hải Dương", targets={2025: 95, 2026: 95}, offline_after_s=120)


@dataclass
class HubWeb:
    url: str
    db: Database
    config: HubConfig


@pytest.fixture
def hub_web(hub_db: Database, hub_config: HubConfig) -> Iterator[HubWeb]:
    """The hub's web app on 127.0.0.1 and a free port, run by uvicorn as ``motcua hub
    web`` runs it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_hub_app(hub_config, hub_db), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, name="hub-web", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(url + "/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    eventually(answers, "the hub web app to answer /api/health", 15)
    try:
        yield HubWeb(url, hub_db, hub_config)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one module: Playwright's event loop must be gone before the tests
    that follow tests/hub (tests/server calls ``asyncio.run``)."""
    with chromium() as b:
        yield b
