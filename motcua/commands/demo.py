"""``motcua demo``: the server with its own Mosquitto and SQLite, and with a display
the demo's kiosk and pad windows (`motcua.demo_devices`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from motcua.commands.common import LogLevelOpt, make_private, setup_logging

if TYPE_CHECKING:
    from server.runtime import ServerRuntime


def demo(
    data_dir: Annotated[Path, typer.Option(help="Thư mục dữ liệu demo / demo data folder")] = Path(
        "var/demo"
    ),
    http_port: Annotated[
        int, typer.Option(help="Cổng HTTP (bận thì chọn cổng khác) / HTTP port (another if busy)")
    ] = 8080,
    broker_port: Annotated[
        int, typer.Option(help="Cổng MQTT (bận thì chọn cổng khác) / MQTT port (another if busy)")
    ] = 1883,
    windows: Annotated[
        bool, typer.Option(help="Mở cửa sổ kiosk / open the kiosk window (with a display)")
    ] = True,
    log_level: LogLevelOpt = "info",
) -> None:
    """Chạy bản trình diễn / run the demo: server + its Mosquitto + SQLite, and with a
    display a kiosk window printing to a virtual printer."""
    setup_logging(log_level)
    make_private()
    from server.demo import run_demo

    on_ready: Callable[[ServerRuntime], Callable[[], None]] | None = None
    if windows:
        from motcua.demo_devices import start_devices

        def on_ready(rt: ServerRuntime) -> Callable[[], None]:
            return start_devices(data_dir, rt)

    run_demo(data_dir, http_port=http_port, broker_port=broker_port, on_ready=on_ready)
