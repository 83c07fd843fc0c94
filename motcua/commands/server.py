"""``motcua server``: run the server, or only check its site YAML (``--check``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from motcua.commands.common import ConfigOpt, load_site, make_private, setup_logging


def server(
    config: ConfigOpt = Path("config/site.yaml"),
    check: Annotated[
        bool, typer.Option(help="Chỉ kiểm tra cấu hình / only validate the config")
    ] = False,
    database_url: Annotated[str | None, typer.Option(help="Ghi đè / overrides the config")] = None,
    http_port: Annotated[int | None, typer.Option(help="Cổng HTTP / HTTP port")] = None,
    broker_port: Annotated[int | None, typer.Option(help="Cổng MQTT / MQTT port")] = None,
    log_level: str = "info",
) -> None:
    """Chạy máy chủ / run the server (queue engine, MQTT gateway, HTTP API)."""
    setup_logging(log_level)
    cfg = load_site(config)
    if check:
        typer.echo(
            f"{config}: OK — {cfg.site.name}: {len(cfg.services)} lĩnh vực, {len(cfg.desks)} quầy, "
            f"{len(cfg.devices)} thiết bị"
        )
        return
    from server.serve import serve

    make_private()
    serve(cfg, database_url=database_url, http_port=http_port, broker_port=broker_port)
