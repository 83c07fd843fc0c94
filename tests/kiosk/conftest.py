"""The kiosk under test: a real Kivy window on Xvfb, a real Mosquitto with passwords and
ACLs, the real server on SQLite, and the virtual printer on a socat pty pair."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from argon2 import PasswordHasher

from server.runtime import ServerRuntime
from tests.conftest import make_runtime
from tests.support.display import Display, start_xvfb
from tests.support.kivy_remote import RemoteApp
from tests.support.services import Broker, sqlite_url
from tests.support.sites import device_password
from ticket_printer.emulator import VirtualPrinter

ADMIN_PIN = "2468"
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


def write_kiosk_config(
    path: Path, broker: Broker, state_dir: Path, printer: VirtualPrinter | None, **kiosk: Any
) -> Path:
    data: dict[str, Any] = {
        "device_id": "kiosk-1",
        "site": "gialoc",
        "state_dir": str(state_dir),
        "broker": {
            "host": broker.host,
            "port": broker.port,
            "password": device_password("kiosk-1"),
            "reconnect_min_s": 1,
            "reconnect_max_s": 2,
        },
        "screen": {
            "kiosk_mode": True,
            "idle_timeout_s": kiosk.pop("idle_timeout_s", 45),
            "admin_pin_hash": PasswordHasher().hash(ADMIN_PIN),
        },
        "kiosk": {"request_timeout_s": 2, "health_every_s": 5, **kiosk},
    }
    if printer is not None:
        data["printer"] = {
            "mode": "tcvn3",
            "transport": {
                "kind": "serial",
                "device": printer.device_path,
                "baudrate": 115200,
                "flow_control": "none",
                "write_timeout_s": 2,
            },
        }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


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
