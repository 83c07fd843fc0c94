"""A kiosk configuration for tests and benchmarks (kiosk-1 of the example site)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher

from tests.support.services import Broker
from tests.support.sites import device_password
from ticket_printer.emulator import VirtualPrinter

ADMIN_PIN = "2468"

#: The kiosk's UI timings in tests: short, so the tests never wait them out. A test
#: that is about one of them sets it itself.
KIOSK_TIMINGS = {"press_guard_s": 0.1, "touch_lock_s": 0.1, "rating_gap_s": 0.1}


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
        "kiosk": {"request_timeout_s": 2, "health_every_s": 5, **KIOSK_TIMINGS, **kiosk},
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


def write_pad_config(path: Path, broker: Broker, state_dir: Path, **rating: Any) -> Path:
    """pad-q1 on desk q1; ``rating`` overrides the pad's rating settings."""
    data: dict[str, Any] = {
        "device_id": "pad-q1",
        "desk_id": "q1",
        "site": "gialoc",
        "state_dir": str(state_dir),
        "broker": {
            "host": broker.host,
            "port": broker.port,
            "password": device_password("pad-q1"),
            "reconnect_min_s": 1,
            "reconnect_max_s": 2,
        },
        "screen": {"kiosk_mode": True, "admin_pin_hash": PasswordHasher().hash(ADMIN_PIN)},
        "rating": {"min_gap_s": 0.1, **rating},
        "health_every_s": 5,
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
