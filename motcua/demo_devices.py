"""The devices of ``motcua demo``: a virtual ticket printer, a kiosk and a pad window.

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


def device_config(
    data_dir: Path, rt: ServerRuntime, device_id: str, size: tuple[int, int], **extra: Any
) -> Path:
    """A device YAML for the demo: its broker password, a window of ``size``."""
    passwords = yaml.safe_load((data_dir / "devices.yaml").read_text(encoding="utf-8"))
    cfg = rt.config
    data: dict[str, Any] = {
        "device_id": device_id,
        "site": cfg.site.code,
        "timezone": cfg.site.timezone,
        "state_dir": str((data_dir / device_id).resolve()),
        "broker": {
            "host": "127.0.0.1",
            "port": rt.port,
            "prefix": cfg.server.broker.prefix,
            "password": passwords[device_id],
        },
        # A window, not fullscreen: the demo shares the screen with the browser.
        "screen": {"kiosk_mode": False, "width": size[0], "height": size[1]},
        **extra,
    }
    path = data_dir / f"{device_id}.yaml"
    path.write_text(
        "# Demo device, written by `motcua demo`\n" + yaml.safe_dump(data, allow_unicode=True),
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    return path


def _launch(data_dir: Path, command: str, config: Path) -> subprocess.Popen[bytes]:
    with (data_dir / f"{config.stem}.log").open("ab") as log:  # the child keeps its copy
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from motcua.cli import main; main()",
                command,
                "-c",
                str(config),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def start_devices(data_dir: Path, rt: ServerRuntime) -> Callable[[], None]:
    """Start the virtual printer, the kiosk and the pad of desk 1; return how to stop them."""
    if not has_display():
        _say("  Kiosk: không có màn hình, chỉ chạy máy chủ / no display: server only")
        return lambda: None
    printer = None
    if shutil.which("socat"):
        from ticket_printer.emulator import VirtualPrinter

        printer = VirtualPrinter(data_dir / "printed").start()
    else:
        _say("  Máy in ảo cần socat / the virtual printer needs socat (apt-get install socat)")
    printer_cfg = None
    if printer is not None:
        printer_cfg = {
            "mode": "tcvn3",
            "transport": {"kind": "serial", "device": printer.device_path, "flow_control": "none"},
        }
    kiosk = device_config(data_dir, rt, "kiosk-1", (1280, 800), printer=printer_cfg)
    pad = device_config(data_dir, rt, "pad-q1", (1024, 600), desk_id="q1")
    procs = [_launch(data_dir, "kiosk", kiosk), _launch(data_dir, "pad", pad)]
    _say("  Kiosk: cửa sổ máy lấy số / kiosk window 'motcua – kiosk' (kiosk-1)")
    _say("  Pad:   cửa sổ máy đánh giá quầy 1 / rating pad window of desk 1 (pad-q1)")
    if printer is not None:
        _say(f"  Phiếu in / printed tickets: {(data_dir / 'printed').resolve()} (PNG + TXT)")

    def stop() -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if printer is not None:
            printer.stop()

    return stop
