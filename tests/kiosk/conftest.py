"""The kiosk under test: a real Kivy window on Xvfb, a real Mosquitto with passwords and
ACLs, the real server on SQLite, and the virtual printer on a socat pty pair."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.display import Display
from tests.support.kiosk import write_kiosk_config
from tests.support.kivy_remote import RemoteApp, Starter
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
    starter = Starter("kiosk", display.name, tmp_path)

    def start(**kiosk: Any) -> RemoteApp:
        cfg = write_kiosk_config(
            tmp_path / "kiosk.yaml", mosquitto, tmp_path / "kiosk-state", printer, **kiosk
        )
        return starter.start(cfg)

    yield start
    starter.stop_all()
