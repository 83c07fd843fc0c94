"""``motcua server``: run the server, or only check its site YAML (``--check``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from motcua.commands.common import (
    ConfigOpt,
    LogLevelOpt,
    load_site,
    make_private,
    setup_logging,
)
from motcua.errors import about_database, check_database_url, database_source

if TYPE_CHECKING:
    from server.config import SiteConfig


def _check_hub(cfg: SiteConfig) -> None:
    """The ``hub:`` section's secrets and files, which the bridge needs at start."""
    import os

    hub = cfg.hub
    if hub is None:
        return
    problems = []
    if hub.password() is None:
        problems.append(
            f"{hub.password_env} chưa đặt / is not set: the office's hub password "
            "(`motcua hub add-office` printed it)"
        )
    if hub.ca_file is not None and not os.access(hub.ca_file, os.R_OK):
        problems.append(f"hub.ca_file {hub.ca_file}: không đọc được / cannot be read")
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(2)


def server(
    config: ConfigOpt = Path("config/site.yaml"),
    check: Annotated[
        bool, typer.Option(help="Chỉ kiểm tra cấu hình / only validate the config")
    ] = False,
    database_url: Annotated[str | None, typer.Option(help="Ghi đè / overrides the config")] = None,
    http_port: Annotated[int | None, typer.Option(help="Cổng HTTP / HTTP port")] = None,
    broker_port: Annotated[int | None, typer.Option(help="Cổng MQTT / MQTT port")] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Thư mục dữ liệu (bộ nhớ đệm giọng đọc, broker…), ghi đè server.data_dir "
            "/ data folder (voice cache, broker files…), overrides server.data_dir",
        ),
    ] = None,
    log_level: LogLevelOpt = "info",
) -> None:
    """Chạy máy chủ / run the server (queue engine, MQTT gateway, HTTP API)."""
    setup_logging(log_level)
    cfg = load_site(config)
    if data_dir is not None:
        server_cfg = cfg.server.model_copy(update={"data_dir": data_dir.resolve()})
        cfg = cfg.model_copy(update={"server": server_cfg})
    url = database_url or cfg.database_url()
    source = database_source(config, database_url)
    check_database_url(url, source)  # its form only: --check connects to nothing
    if check:
        _check_hub(cfg)
        typer.echo(
            f"{config}: OK — {cfg.site.name}: {len(cfg.services)} lĩnh vực, {len(cfg.desks)} quầy, "
            f"{len(cfg.devices)} thiết bị; dữ liệu / data: {cfg.server.data_dir}"
        )
        return
    from server.serve import serve

    with about_database(url, source):
        make_private()
        serve(cfg, database_url=database_url, http_port=http_port, broker_port=broker_port)
