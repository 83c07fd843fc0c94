"""``motcua broker-config``: Mosquitto's files from the site YAML, and device password
hashes for it."""

from __future__ import annotations

import getpass
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer

from motcua.commands.common import ConfigOpt, load_site

app = typer.Typer(
    help="Cấu hình Mosquitto và mật khẩu thiết bị / broker set-up.", no_args_is_help=True
)


@app.command("write")
def broker_write(
    out: Annotated[Path, typer.Option(help="Thư mục ghi / output folder")],
    config: ConfigOpt = Path("config/site.yaml"),
    bind: Annotated[
        str | None, typer.Option(help="Địa chỉ lắng nghe / listen address (default: the YAML's)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Cổng MQTT / MQTT port (default: the YAML's)")
    ] = None,
) -> None:
    """Ghi mosquitto.conf, passwd, acl / write Mosquitto's files from the site YAML."""
    from server.broker.mosquitto_config import write_mosquitto
    from server.config import ConfigError

    try:
        files = write_mosquitto(load_site(config), out, bind=bind, port=port)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"đã ghi / wrote {files.conf}, {files.passwd}, {files.acl}")
    typer.echo(f"chạy / run: mosquitto -c {files.conf}")


@app.command("hash")
def broker_hash(
    generate: Annotated[
        bool, typer.Option(help="Tạo mật khẩu ngẫu nhiên / make a random password")
    ] = False,
) -> None:
    """Băm mật khẩu thiết bị / hash a device password for the site YAML ($7$, Mosquitto)."""
    from server.broker.passwords import hash_device_password

    if generate:
        password = secrets.token_urlsafe(18)
        typer.echo(f"password: {password}")
    elif sys.stdin.isatty():
        password = getpass.getpass("Mật khẩu / password: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 12:
        typer.echo("mật khẩu cần ít nhất 12 ký tự / at least 12 characters", err=True)
        raise typer.Exit(2)
    typer.echo(f'password_hash: "{hash_device_password(password)}"')
