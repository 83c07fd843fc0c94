"""``motcua hub``: the hub of many offices (docs/hub.md). Without a sub-command, one
worker that stores the offices' facts; start several to share the stream."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hub.config import HubConfig

from motcua.commands import hub_tls, hub_web
from motcua.commands.common import setup_logging

HubConfigOpt = Annotated[
    Path,
    typer.Option(
        "--config", "-c", help="Tệp cấu hình trung tâm / hub YAML", envvar="MOTCUA_HUB_CONFIG"
    ),
]

app = typer.Typer(
    help="Trung tâm nhiều đơn vị / the hub of many offices: a worker (no sub-command), "
    "offices, broker files, web pages.",
    invoke_without_command=True,
)


def load_hub(path: Path) -> HubConfig:
    from hub.config import load_hub_config
    from server.config import ConfigError

    try:
        return load_hub_config(path)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None


@app.callback()
def worker(
    ctx: typer.Context,
    config: HubConfigOpt = Path("config/hub.yaml"),
    name: Annotated[
        str | None,
        typer.Option(help="Tên tiến trình / this worker's name (default: host and pid)"),
    ] = None,
    log_level: Annotated[str, typer.Option(help="Mức nhật ký / log level")] = "info",
) -> None:
    """Chạy một tiến trình lưu dữ liệu / run one hub worker (several share the stream)."""
    if ctx.invoked_subcommand is not None:
        return
    from hub.run import run_worker
    from server.config import ConfigError

    setup_logging(log_level)
    hub = load_hub(config)
    try:
        run_worker(hub, name)
    except ConfigError as e:
        typer.echo(f"không khởi động được / cannot start: {e}", file=sys.stderr)
        raise typer.Exit(2) from None


@app.command("add-office")
def add_office(
    code: Annotated[str, typer.Argument(help="Mã đơn vị (site.code) / the office's site code")],
    config: HubConfigOpt = Path("config/hub.yaml"),
    name: Annotated[str, typer.Option(help="Tên đơn vị / the office's name")] = "",
    group: Annotated[
        str, typer.Option(help="Nhóm (huyện cũ, cụm) / group: former district, cluster")
    ] = "",
    out: Annotated[
        Path | None,
        typer.Option(help="Thư mục tệp Mosquitto / hub broker folder (default: broker.files_dir)"),
    ] = None,
    password_env: Annotated[
        str, typer.Option(help="Biến môi trường mật khẩu ở đơn vị / the office's variable")
    ] = "MOTCUA_HUB_PASSWORD",
) -> None:
    """Thêm đơn vị, cấp mật khẩu / add an office: its hub account and its YAML lines."""
    from hub.accounts import add_office as add
    from hub.accounts import site_yaml_lines
    from server.config import ConfigError
    from server.db.database import Database
    from server.db.migrate import upgrade

    hub = load_hub(config)
    db = Database(hub.database())
    try:
        upgrade(db)
        account = add(hub, db, code, name=name, group=group, out_dir=out or hub.broker_files_dir())
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    typer.echo(f"# đơn vị / office {code}: thêm vào site YAML / add to its site YAML")
    for line in site_yaml_lines(hub, account, password_env):
        typer.echo(line)
    typer.echo(f"# trên máy đơn vị / on the office's machine: {password_env}={account.password}")
    typer.echo(
        f"# đã ghi / wrote {account.files.passwd}, {account.files.acl}; "
        "reload the hub broker: systemctl reload motcua-hub-broker (or SIGHUP)"
    )


@app.command("broker-config")
def broker_config(
    config: HubConfigOpt = Path("config/hub.yaml"),
    out: Annotated[
        Path | None,
        typer.Option(help="Thư mục ghi / output folder (default: broker.files_dir)"),
    ] = None,
) -> None:
    """Ghi tệp Mosquitto của trung tâm / write the hub broker's files."""
    from hub.broker_files import write_hub_broker
    from server.config import ConfigError
    from server.db.database import Database
    from server.db.migrate import upgrade

    hub = load_hub(config)
    db = Database(hub.database())
    try:
        upgrade(db)
        files = write_hub_broker(hub, db, out or hub.broker_files_dir())
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    typer.echo(f"đã ghi / wrote {files.conf}, {files.passwd}, {files.acl}")
    typer.echo(f"chạy / run: mosquitto -c {files.conf}")


hub_web.register(app)
hub_tls.register(app)
