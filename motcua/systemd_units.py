"""systemd unit files for each machine role (``motcua install systemd``).

Plain text made from the options; nothing here touches the disk (see
`motcua.commands.install`). Each role's unit runs ``motcua`` from the installation that
wrote it, logs to the journal and reads its secrets from an environment file that only
root can read (systemd reads it before it drops to ``User=``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

HEADER = (
    "# Written by `motcua install systemd`; run it again after an upgrade rather than\n"
    "# editing this file (local changes: `systemctl edit {name}`).\n"
)


class Role(StrEnum):
    SERVER = "server"
    BROKER = "broker"
    KIOSK = "kiosk"
    PAD = "pad"
    BACKUP = "backup"
    HUB = "hub"
    HUB_BROKER = "hub-broker"


@dataclass(frozen=True)
class UnitOptions:
    """What the units of one installation need to know."""

    motcua: list[str]  # the command: the executable, or python -m motcua.cli
    user: str
    config: Path
    env_file: Path
    home: Path  # the user's home: the touch apps find the X session's cookie there
    mosquitto: Path = Path("/usr/sbin/mosquitto")
    broker_conf: Path = Path("/etc/mosquitto/motcua/mosquitto.conf")
    display: str = ":0"


@dataclass(frozen=True)
class Unit:
    name: str
    text: str


def quote(arg: str) -> str:
    """One command-line word for ExecStart=: ``%`` and ``$`` escaped, quoted if needed."""
    arg = arg.replace("%", "%%").replace("$", "$$")
    if arg and not any(c in arg for c in " \t\"'\\;"):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _exec(opts: UnitOptions, *args: str | Path) -> str:
    return " ".join(quote(str(a)) for a in [*opts.motcua, *args])


def _journal(identifier: str) -> str:
    return f"StandardOutput=journal\nStandardError=journal\nSyslogIdentifier={identifier}\n"


def server_units(opts: UnitOptions) -> list[Unit]:
    name = "motcua-server.service"
    text = f"""{HEADER.format(name=name)}
[Unit]
Description=motcua server: queue numbers and ratings (máy chủ motcua)
After=network-online.target postgresql.service mosquitto.service motcua-broker.service
Wants=network-online.target

[Service]
Type=simple
User={opts.user}
EnvironmentFile={opts.env_file}
ExecStart={_exec(opts, "server", "--config", opts.config)}
# relative paths of the site YAML (data_dir: var, sqlite:///var/...) land here
WorkingDirectory=/var/lib/motcua
StateDirectory=motcua
StateDirectoryMode=0700
UMask=0077
Restart=on-failure
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=30
# the one-box broker (server.broker.embedded) keeps a socket per device open
LimitNOFILE=65536
{_journal("motcua-server")}NoNewPrivileges=true
ProtectSystem=full
ProtectHome=read-only
PrivateTmp=true

[Install]
WantedBy=multi-user.target
"""
    return [Unit(name, text)]


def _mosquitto_unit(opts: UnitOptions, name: str, written_by: str, title: str, order: str) -> Unit:
    folder = opts.broker_conf.parent
    identifier = name.removesuffix(".service")
    text = f"""{HEADER.format(name=name)}
# Mosquitto with the files of `{written_by} --out {folder}`.
# Debian's own mosquitto.service listens on 1883 too: this unit stops it when it starts
# (Conflicts=); disable it for good with `systemctl disable --now mosquitto`.
[Unit]
Description={title}
Documentation=man:mosquitto.conf(5)
After=network-online.target
Wants=network-online.target
Conflicts=mosquitto.service
{order}
[Service]
Type=notify
NotifyAccess=main
User=mosquitto
Group=mosquitto
# the files are written by root: Mosquitto reads them as its group, keeps its data there
ExecStartPre=+/bin/chgrp -R mosquitto {quote(str(folder))}
ExecStartPre=+/usr/bin/install -d -o mosquitto -g mosquitto -m 0750 {quote(str(folder / "data"))}
ExecStart={quote(str(opts.mosquitto))} -c {quote(str(opts.broker_conf))}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=2
LimitNOFILE=65536
{_journal(identifier)}
[Install]
WantedBy=multi-user.target
"""
    return Unit(name, text)


def broker_units(opts: UnitOptions) -> list[Unit]:
    return [
        _mosquitto_unit(
            opts,
            "motcua-broker.service",
            "motcua broker-config write",
            "Mosquitto MQTT broker for motcua (máy chủ MQTT của motcua)",
            "Before=motcua-server.service\n",
        )
    ]


def _touch_unit(opts: UnitOptions, role: Role, title: str, extra: str = "") -> Unit:
    name = f"motcua-{role}.service"
    text = f"""{HEADER.format(name=name)}
# Runs in the graphical session of {opts.user} (display {opts.display}): log that user in
# automatically (e.g. LightDM autologin) so the screen is there after a power cut.
[Unit]
Description=motcua {role}: {title}
After=graphical.target network-online.target
Wants=network-online.target
# until the session is up the app cannot open the screen: keep trying, never give up
StartLimitIntervalSec=0

[Service]
Type=simple
User={opts.user}
Environment=DISPLAY={opts.display}
Environment=XAUTHORITY={quote(str(opts.home / ".Xauthority"))}
EnvironmentFile={opts.env_file}
ExecStart={_exec(opts, role.value, "--config", opts.config)}
# the device's state_dir (outbox, cached state; default var) is kept here
WorkingDirectory=/var/lib/motcua-{role}
StateDirectory=motcua-{role}
StateDirectoryMode=0700
UMask=0077
{extra}Restart=always
RestartSec=3
# finishes the ticket being printed and keeps its outbox, then exits
KillSignal=SIGTERM
TimeoutStopSec=20
{_journal(f"motcua-{role}")}
[Install]
WantedBy=graphical.target
"""
    return Unit(name, text)


def kiosk_units(opts: UnitOptions) -> list[Unit]:
    # serial ticket printers are /dev/ttyUSB* (dialout), USB printer-class ones lp
    printers = "SupplementaryGroups=dialout lp\n"
    return [_touch_unit(opts, Role.KIOSK, "touchscreen kiosk (máy lấy số)", printers)]


def pad_units(opts: UnitOptions) -> list[Unit]:
    return [_touch_unit(opts, Role.PAD, "rating pad at a desk (máy đánh giá)")]


def backup_units(opts: UnitOptions) -> list[Unit]:
    service = "motcua-backup.service"
    timer = "motcua-backup.timer"
    service_text = f"""{HEADER.format(name=service)}
[Unit]
Description=motcua database backup (sao lưu cơ sở dữ liệu)
After=postgresql.service

[Service]
Type=oneshot
User={opts.user}
EnvironmentFile={opts.env_file}
# the same folder as the server: backups go to its data_dir/backups
WorkingDirectory=/var/lib/motcua
StateDirectory=motcua
UMask=0077
ExecStart={_exec(opts, "db", "backup", "--config", opts.config, "--keep", "14")}
Nice=10
IOSchedulingClass=idle
{_journal("motcua-backup")}"""
    timer_text = f"""{HEADER.format(name=timer)}
# Every night at 02:30 Vietnam time, whatever the machine's time zone; a night missed
# (machine off) is made up at the next start (Persistent=).
[Unit]
Description=motcua nightly database backup (sao lưu hằng đêm)

[Timer]
OnCalendar=*-*-* 02:30:00 Asia/Ho_Chi_Minh
Persistent=true
Unit={service}

[Install]
WantedBy=timers.target
"""
    return [Unit(service, service_text), Unit(timer, timer_text)]


def hub_broker_units(opts: UnitOptions) -> list[Unit]:
    return [
        _mosquitto_unit(
            opts,
            "motcua-hub-broker.service",
            "motcua hub broker-config",
            "Mosquitto MQTT broker of the motcua hub (máy chủ MQTT của trung tâm)",
            "",  # the workers order themselves after it (a template cannot be named here)
        )
    ]


def _hub_service(opts: UnitOptions, title: str, exec_start: str, restart: str) -> str:
    return f"""[Service]
Type=simple
User={opts.user}
EnvironmentFile={opts.env_file}
ExecStart={exec_start}
# relative paths of hub.yaml (data_dir) land here
WorkingDirectory=/var/lib/motcua-hub
StateDirectory=motcua-hub
StateDirectoryMode=0700
UMask=0077
Restart={restart}
RestartSec=3
KillSignal=SIGTERM
TimeoutStopSec=30
{_journal(title)}NoNewPrivileges=true
ProtectSystem=full
ProtectHome=read-only
PrivateTmp=true

[Install]
WantedBy=multi-user.target
"""


def hub_units(opts: UnitOptions) -> list[Unit]:
    """The workers (a template: ``motcua-hub@1``, ``@2`` … one process each, sharing the
    stream) and the hub's pages."""
    worker = "motcua-hub@.service"
    # %H-%i: a worker's MQTT client id is unique across the hub's machines (a clash
    # would make two workers throw each other off the broker)
    start = _exec(opts, "hub", "--config", opts.config) + " --name %H-%i"
    worker_text = f"""{HEADER.format(name=worker)}
# One hub worker per instance: `systemctl enable --now motcua-hub@1 motcua-hub@2`. They
# share the offices' stream ($share/…); one that dies loses nothing, the others go on.
[Unit]
Description=motcua hub worker %i: stores the offices' facts (tiến trình lưu của trung tâm)
After=network-online.target postgresql.service mosquitto.service motcua-hub-broker.service
Wants=network-online.target
# a hub database or broker down for a while: keep trying, never give up
StartLimitIntervalSec=0

{_hub_service(opts, "motcua-hub", start, "always")}DefaultInstance=1
"""
    web = "motcua-hub-web.service"
    web_start = _exec(opts, "hub", "web", "--config", opts.config)
    web_text = f"""{HEADER.format(name=web)}
[Unit]
Description=motcua hub web pages: the province overview and reports (trang của trung tâm)
After=network-online.target postgresql.service
Wants=network-online.target

{_hub_service(opts, "motcua-hub-web", web_start, "on-failure")}"""
    return [Unit(worker, worker_text), Unit(web, web_text)]


UNITS: dict[Role, Callable[[UnitOptions], list[Unit]]] = {
    Role.SERVER: server_units,
    Role.BROKER: broker_units,
    Role.KIOSK: kiosk_units,
    Role.PAD: pad_units,
    Role.BACKUP: backup_units,
    Role.HUB: hub_units,
    Role.HUB_BROKER: hub_broker_units,
}

SERVER_SECRETS = [
    "# Mật khẩu MQTT của máy chủ (server.broker.password_env trong site YAML)",
    "# the server's MQTT password (server.broker.password_env of the site YAML)",
    "#MOTCUA_MQTT_PASSWORD=",
    "# Ghi đè cơ sở dữ liệu của site YAML / overrides the site YAML's database",
    "#MOTCUA_DATABASE_URL=postgresql+psycopg://motcua:PASSWORD@127.0.0.1/motcua",
    "# Mật khẩu của đơn vị trên trung tâm (in ra bởi `motcua hub add-office`), nếu có",
    "# this office's password on the hub (printed by `motcua hub add-office`), if any",
    "#MOTCUA_HUB_PASSWORD=",
]
HUB_SECRETS = [
    "# Mật khẩu MQTT của các tiến trình trung tâm (broker.password_env trong hub.yaml)",
    "# the hub workers' MQTT password (broker.password_env of hub.yaml)",
    "#MOTCUA_HUB_MQTT_PASSWORD=",
    "# Ghi đè cơ sở dữ liệu của hub.yaml / overrides hub.yaml's database_url",
    "#MOTCUA_HUB_DATABASE_URL=postgresql+psycopg://motcua:PASSWORD@127.0.0.1/motcua_hub",
]
DEVICE_SECRETS = [
    "# Mật khẩu MQTT của thiết bị này (in ra bởi `motcua device add`)",
    "# this device's MQTT password (printed by `motcua device add`)",
    "#MOTCUA_DEVICE_PASSWORD=",
]

#: Each role's environment file (in /etc/motcua unless told) and the variables it holds.
ENV_FILES: dict[Role, tuple[str, list[str]]] = {
    Role.SERVER: ("server.env", SERVER_SECRETS),
    Role.BACKUP: ("server.env", SERVER_SECRETS),
    Role.KIOSK: ("kiosk.env", DEVICE_SECRETS),
    Role.PAD: ("pad.env", DEVICE_SECRETS),
    Role.HUB: ("hub.env", HUB_SECRETS),
}


def env_file_text(role: Role) -> str:
    """A new environment file: comments and placeholders, no secret."""
    return (
        "# Bí mật của motcua cho systemd (EnvironmentFile=): chỉ root đọc được (0600).\n"
        "# motcua secrets for systemd (EnvironmentFile=): readable by root only (0600).\n"
        "# Bỏ dấu # và điền / remove the # and fill in:\n" + "\n".join(ENV_FILES[role][1]) + "\n"
    )
