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

    site = load_site(config)
    try:
        files = write_mosquitto(site, out, bind=bind, port=port)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"đã ghi / wrote {files.conf}, {files.passwd}, {files.acl}")
    tls = site.server.broker.tls
    if tls is not None:
        plain = "127.0.0.1 only" if tls.local_plain else "closed"
        typer.echo(f"TLS: port {tls.port} (certificate {tls.cert_file}); plain port: {plain}")
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


@app.command("tls")
def broker_tls(
    out: Annotated[Path, typer.Option(help="Thư mục chứa chứng chỉ / folder for the certificates")],
    config: ConfigOpt = Path("config/site.yaml"),
    host: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME|IP",
            help="Tên/địa chỉ của máy chủ trong chứng chỉ (lặp lại được) / a name or address "
            "devices use for this server (repeatable; default: host name, LAN addresses, "
            "127.0.0.1)",
        ),
    ] = None,
    days: Annotated[
        int,
        typer.Option(
            metavar="DAYS", help="Hạn chứng chỉ máy chủ (ngày) / server certificate lifetime"
        ),
    ] = 825,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Tạo CA mới (phải chép lại ca.crt vào mọi thiết bị) / make a new CA "
            "(every device then needs the new ca.crt)",
        ),
    ] = False,
) -> None:
    """Tạo CA riêng và chứng chỉ TLS / make the site's CA and the broker's certificate."""
    from motcua.commands.tls_text import report
    from server.broker.certificates import issue
    from server.config import ConfigError

    site = load_site(config)
    try:
        issued = issue(
            out,
            site_name=site.site.name,
            site_code=site.site.code,
            hosts=host or [],
            days=days,
            force=force,
        )
    except (ConfigError, ValueError, OSError) as e:
        typer.echo(f"không tạo được chứng chỉ / cannot make the certificates: {e}", err=True)
        raise typer.Exit(2) from None
    placement = site.server.broker
    tls_port = placement.tls.port if placement.tls is not None else 8883
    typer.echo(report(issued, placement.port, tls_port))
