"""The devices of ``motcua demo``: a virtual ticket printer and a kiosk window.

Lives in ``motcua`` (not ``server``) because it brings packages together that the
server must not import. Without a display (a server over SSH, CI) the demo is the
server alone and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from server.runtime import ServerRuntime


def _say(text: str) -> None:
    print(text, flush=True)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def kiosk_config(data_dir: Path, rt: ServerRuntime, printer_device: str | None) -> Path:
    passwords = yaml.safe_load((data_dir / "devices.yaml").read_text(encoding="utf-8"))
    cfg = rt.config
    data: dict[str, Any] = {
        "device_id": "kiosk-1",
        "site": cfg.site.code,
        "timezone": cfg.site.timezone,
        "state_dir": str((data_dir / "kiosk-1").resolve()),
        "broker": {
            "host": "127.0.0.1",
            "port": rt.port,
            "prefix": cfg.server.broker.prefix,
            "password": passwords["kiosk-1"],
        },
        # A window, not fullscreen: the demo shares the screen with the browser.
        "screen": {"kiosk_mode": False, "width": 1280, "height": 800},
    }
    if printer_device:
        data["printer"] = {
            "mode": "tcvn3",
            "transport": {"kind": "serial", "device": printer_device, "flow_control": "none"},
        }
    path = data_dir / "kiosk-1.yaml"
    path.write_text(
        "# Demo kiosk, written by `motcua demo`\n" + yaml.safe_dump(data, allow_unicode=True),
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    return path


def start_devices(data_dir: Path, rt: ServerRuntime) -> Callable[[], None]:
    """Start the virtual printer and the kiosk window; return how to stop them."""
    if not has_display():
        _say("  Kiosk: không có màn hình, chỉ chạy máy chủ / no display: server only")
        return lambda: None
    printer = None
    if shutil.which("socat"):
        from ticket_printer.emulator import VirtualPrinter

        printer = VirtualPrinter(data_dir / "printed").start()
    else:
        _say("  Máy in ảo cần socat / the virtual printer needs socat (apt-get install socat)")
    config = kiosk_config(data_dir, rt, printer.device_path if printer else None)
    log = (data_dir / "kiosk-1.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from motcua.cli import main; main()", "kiosk", "-c", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _say("  Kiosk: cửa sổ máy lấy số / kiosk window 'motcua – kiosk'")
    if printer is not None:
        _say(f"  Phiếu in / printed tickets: {(data_dir / 'printed').resolve()} (PNG + TXT)")

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
        if printer is not None:
            printer.stop()

    return stop
