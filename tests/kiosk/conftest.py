"""The kiosk under test: a real Kivy window on Xvfb, a real Mosquitto with passwords and
ACLs, the real server on SQLite, and the virtual printer on a socat pty pair."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.display import Display
from tests.support.kiosk import write_kiosk_config
from tests.support.kivy_remote import RemoteApp
from tests.support.services import Broker
from ticket_printer.emulator import VirtualPrinter


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
