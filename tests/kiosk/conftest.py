"""The kiosk under test: a real Kivy window on Xvfb, a real Mosquitto with passwords and
ACLs, the real server on SQLite, and the virtual printer on a socat pty pair."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from server.runtime import ServerRuntime
from tests.conftest import make_runtime
from tests.support.display import Display, start_xvfb
from tests.support.kiosk import write_kiosk_config
from tests.support.kivy_remote import RemoteApp
from tests.support.services import Broker, sqlite_url
from ticket_printer.emulator import VirtualPrinter

#: Screenshots go here when set (``MOTCUA_SCREENSHOTS=docs/img/kiosk``), else to tmp.
SHOTS_ENV = "MOTCUA_SCREENSHOTS"


@pytest.fixture(scope="session")
def display() -> Iterator[Display]:
    d = start_xvfb()
    yield d
    d.stop()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = os.environ.get(SHOTS_ENV)
    return Path(target) if target else tmp_path / "shots"


@pytest.fixture
def kiosk_server(site: Any, mosquitto: Broker, tmp_path: Path) -> Iterator[ServerRuntime]:
    rt = make_runtime(site, sqlite_url(tmp_path), mosquitto)
    yield rt
    rt.stop()


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[VirtualPrinter]:
    with VirtualPrinter(tmp_path / "printed") as vp:
        yield vp


@pytest.fixture
def start_kiosk(
    display: Display, mosquitto: Broker, printer: VirtualPrinter, tmp_path: Path
) -> Iterator[Callable[..., RemoteApp]]:
    """Start (or restart) kiosk-1 on the display; the same state dir every time."""
    apps: list[RemoteApp] = []
    runs = iter(range(1, 100))

    def start(**kiosk: Any) -> RemoteApp:
        cfg = write_kiosk_config(
            tmp_path / "kiosk.yaml", mosquitto, tmp_path / "kiosk-state", printer, **kiosk
        )
        app = RemoteApp(["kiosk", str(cfg)], display.name, tmp_path / f"kiosk-{next(runs)}.log")
        apps.append(app)
        app.wait_ready()
        return app

    yield start
    for app in apps:
        app.stop()
