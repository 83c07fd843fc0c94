"""``motcua kiosk`` and ``motcua pad``: run a touch device's app from its YAML."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from motcua.commands.common import setup_logging


def kiosk(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Tệp cấu hình kiosk / kiosk YAML")
    ] = Path("config/kiosk.yaml"),
    log_level: Annotated[str, typer.Option(help="debug | info | warning")] = "info",
) -> None:
    """Máy lấy số (màn hình cảm ứng) / the touchscreen kiosk."""
    from kiosk.main import run

    _run_device(run, config, log_level)


def pad(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Tệp cấu hình máy đánh giá / pad YAML")
    ] = Path("config/pad.yaml"),
    log_level: Annotated[str, typer.Option(help="debug | info | warning")] = "info",
) -> None:
    """Máy đánh giá tại quầy / the rating pad at a desk."""
    from rating_pad.main import run

    _run_device(run, config, log_level)


def _run_device(run: Callable[[Path], None], config: Path, log_level: str) -> None:
    """Run a touch app; a wrong config file is one clear message and exit code 2."""
    from touch_ui.device_config import DeviceConfigError

    setup_logging(log_level)
    try:
        run(config)
    except DeviceConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
