"""``motcua device add``: new kiosks, pads, boards and monitors in one run, each with its
own random broker password, written into the site YAML and the broker's files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from motcua.commands.common import ConfigOpt, load_site

if TYPE_CHECKING:
    from motcua.site_devices import NewDevice
    from server.config import SiteConfig

app = typer.Typer(help="Thiết bị (ki-ốt, máy đánh giá …) / devices.", no_args_is_help=True)


@app.command("add")
def device_add(
    kind: Annotated[str, typer.Argument(help="kiosk | pad | board | monitor")],
    ids: Annotated[list[str], typer.Argument(help="Mã thiết bị / device ids, e.g. kiosk-2")],
    config: ConfigOpt = Path("config/site.yaml"),
    desk: Annotated[
        list[str] | None,
        typer.Option(
            help="Quầy của máy đánh giá, một lần cho mỗi máy / a pad's desk, once per pad"
        ),
    ] = None,
    broker_out: Annotated[
        Path | None,
        typer.Option(
            help="Ghi lại tệp Mosquitto vào thư mục này / rewrite Mosquitto's files in this folder"
        ),
    ] = None,
    secrets_dir: Annotated[
        Path | None,
        typer.Option(
            help="Ghi mật khẩu vào ID.env (0600) thay vì in ra / write ID.env files, not print"
        ),
    ] = None,
    broker_host: Annotated[
        str | None,
        typer.Option(help="Địa chỉ máy chủ cho thiết bị / broker address the devices use"),
    ] = None,
) -> None:
    """Thêm thiết bị, tạo mật khẩu / add devices with new broker passwords."""
    from motcua.site_devices import EnrolError, add_devices, plan

    site = load_site(config)
    try:
        devices = plan(site, kind, ids, desk or [])
        site = add_devices(config, devices)
    except EnrolError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"đã thêm vào / added to {config}: {', '.join(d.id for d in devices)}")
    _broker_files(site, broker_out)
    host = broker_host or default_broker_host(site)
    for device in devices:
        _show(site, device, host, secrets_dir)


def default_broker_host(site: SiteConfig) -> str:
    """Where devices find the broker: the address phones use, else the broker's own."""
    placement = site.server.broker
    public = urlsplit(site.site.public_url).hostname if site.site.public_url else None
    if public:
        return str(public)
    if placement.bind not in ("0.0.0.0", "::", ""):
        return placement.bind
    return placement.host


def _broker_files(site: SiteConfig, out: Path | None) -> None:
    """Rewrite the broker's files (when asked) and say how Mosquitto reads them."""
    if site.server.broker.embedded and out is None:
        typer.echo(
            "Mosquitto của máy chủ đọc tài khoản mới khi khởi động lại máy chủ / "
            "the server's own Mosquitto reads the new accounts when the server restarts "
            "(systemctl restart motcua-server)"
        )
        return
    if out is None:
        typer.echo(
            "chưa ghi tệp Mosquitto: chạy / broker files not rewritten: run "
            "`motcua broker-config write --out DIR` (or pass --broker-out DIR)"
        )
        return
    from server.broker.mosquitto_config import write_mosquitto
    from server.config import ConfigError

    try:
        files = write_mosquitto(site, out)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"đã ghi / wrote {files.passwd}, {files.acl}, {files.conf}")
    typer.echo(
        "cho Mosquitto đọc lại / make Mosquitto read them: "
        "sudo systemctl reload motcua-broker  (Debian's own unit: mosquitto; "
        "or kill -HUP <mosquitto pid>)"
    )


def _show(site: SiteConfig, device: NewDevice, host: str, secrets_dir: Path | None) -> None:
    from motcua.site_devices import device_yaml, env_file

    typer.echo(f"\n# ---- {device.id} ({device.kind}): config/{device.id}.yaml")
    typer.echo(device_yaml(site, device, host), nl=False)
    if secrets_dir is not None:
        path = env_file(secrets_dir, device)
        typer.echo(f"# mật khẩu trong / password in {path} (MOTCUA_DEVICE_PASSWORD)")
    else:
        typer.echo(
            f"# mật khẩu (chỉ hiện một lần) / password (shown once): "
            f"MOTCUA_DEVICE_PASSWORD={device.password}"
        )
