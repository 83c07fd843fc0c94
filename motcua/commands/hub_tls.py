"""``motcua hub tls``: the hub's private CA and the certificate of the hub broker's
offices' listener (``broker.wan``), so every office's bridge speaks TLS across the WAN
and checks the hub's name.

The same CA code as an office's ``motcua broker-config tls``
(`server.broker.certificates`): a second run keeps the CA (a renewal needs nothing new
on the offices); ``--force`` makes a new one, which every office then needs.
Registered on the ``motcua hub`` group by `motcua.commands.hub` (`register`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hub.config import HubConfig
    from server.broker.certificates import Issued

HubConfigOpt = Annotated[
    Path,
    typer.Option(
        "--config", "-c", help="Tệp cấu hình trung tâm / hub YAML", envvar="MOTCUA_HUB_CONFIG"
    ),
]

#: Where an office keeps the hub's CA: the ``hub.ca_file`` ``add-office`` prints.
OFFICE_CA = "/etc/motcua/hub-ca.crt"
#: The hub broker's files (``motcua install systemd --role hub-broker``).
HUB_BROKER_DIR = "/etc/mosquitto/motcua-hub"


def _load(path: Path) -> HubConfig:
    from hub.config import load_hub_config
    from server.config import ConfigError

    try:
        return load_hub_config(path)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None


def hub_tls_report(config: HubConfig, issued: Issued, config_file: Path) -> str:
    """Which file goes where, and the ``broker.wan`` lines of hub.yaml."""
    from motcua.commands.tls_text import LOCAL

    f, wan = issued.files, config.broker.wan
    ca_state = (
        "MỚI / NEW: chép ca.crt sang mọi đơn vị / copy ca.crt to every office"
        if issued.new_ca
        else "giữ nguyên / kept: các đơn vị không cần gì mới / offices need nothing new"
    )
    until_ca = issued.ca_not_after.astimezone(LOCAL).strftime("%d/%m/%Y")
    until = issued.not_after.astimezone(LOCAL).strftime("%d/%m/%Y")
    lines = [
        f"CA:       {f.ca_cert} ({ca_state}; hết hạn / valid until {until_ca})",
        f"          {f.ca_key} — giữ kín, chỉ trên máy trung tâm / keep secret, on the hub only",
        f"Trung tâm / hub broker: {f.cert}, {f.key}",
        f"          tên / names: {', '.join(issued.hosts)}",
        f"          hết hạn / valid until {until} (gia hạn / renew: run this command again)",
        "",
        "Mỗi đơn vị: chép CHỈ tệp ca.crt (không bao giờ tệp .key) /",
        "each office: copy ONLY ca.crt (never a .key file), as the hub.ca_file of its site YAML:",
        f"  scp {f.ca_cert.resolve()} OFFICE:/tmp/hub-ca.crt",
        f"  sudo install -m 644 /tmp/hub-ca.crt {OFFICE_CA}",
        "",
        "hub.yaml (broker.wan):",
        "",
        "broker:",
        "  wan:",
        f"    port: {wan.port}",
        f"    cert_file: {f.cert.resolve()}",
        f"    key_file: {f.key.resolve()}",
        f"    ca_file: {f.ca_cert.resolve()}",
        f"    public_host: {_public_host(wan.public_host, issued.hosts)}",
        "",
        "Rồi / then:",
        f"  sudo motcua hub broker-config --config {config_file} --out {HUB_BROKER_DIR}",
        "  sudo systemctl restart motcua-hub-broker",
        "Mosquitto phải đọc được / Mosquitto's user must read server.key:",
        f"  sudo chgrp mosquitto {f.key.resolve()}; sudo chmod 640 {f.key.resolve()}",
    ]
    if wan.public_host not in issued.hosts:
        lines += [
            "",
            f"CHÚ Ý / NOTE: hub.yaml broker.wan.public_host là / is {wan.public_host}, không có "
            "trong chứng chỉ / not in the certificate: offices connect to that name and would "
            "refuse the hub. Set public_host to one of the names above.",
        ]
    return "\n".join(lines)


def _public_host(configured: str, hosts: list[str]) -> str:
    return configured if configured in hosts else hosts[0]


def hub_tls(
    out: Annotated[Path, typer.Option(help="Thư mục chứa chứng chỉ / folder for the certificates")],
    config: HubConfigOpt = Path("config/hub.yaml"),
    host: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME|IP",
            help="Tên/địa chỉ các đơn vị dùng để tới trung tâm (lặp lại được) / a name or "
            "address the offices use for the hub (repeatable; default: broker.wan.public_host)",
        ),
    ] = None,
    days: Annotated[
        int,
        typer.Option(metavar="DAYS", help="Hạn chứng chỉ (ngày) / the certificate's lifetime"),
    ] = 825,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Tạo CA mới (phải chép lại ca.crt sang mọi đơn vị) / make a new CA "
            "(every office then needs the new ca.crt)",
        ),
    ] = False,
) -> None:
    """Tạo CA của trung tâm và chứng chỉ TLS / make the hub's CA and its WAN certificate."""
    from hub.config import HubWan
    from server.broker.certificates import issue
    from server.config import ConfigError

    cfg = _load(config)
    if not host and cfg.broker.wan.public_host == HubWan().public_host:
        typer.echo(
            "cần --host: tên các đơn vị dùng để tới trung tâm (hoặc broker.wan.public_host "
            "trong hub.yaml) / give --host: the name the offices use for the hub (or set "
            "broker.wan.public_host in hub.yaml)",
            err=True,
        )
        raise typer.Exit(2)
    try:
        issued = issue(
            out,
            site_name=cfg.name,
            site_code="hub",
            hosts=host or [cfg.broker.wan.public_host],
            days=days,
            force=force,
        )
    except (ConfigError, ValueError, OSError) as e:
        typer.echo(f"không tạo được chứng chỉ / cannot make the certificates: {e}", err=True)
        raise typer.Exit(2) from None
    typer.echo(hub_tls_report(cfg, issued, config.absolute()))


def register(app: typer.Typer) -> None:
    """Add ``tls`` to the ``motcua hub`` group."""
    app.command("tls")(hub_tls)
