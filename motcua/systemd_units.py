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


def broker_units(opts: UnitOptions) -> list[Unit]:
    name = "motcua-broker.service"
    folder = opts.broker_conf.parent
    text = f"""{HEADER.format(name=name)}
# Mosquitto with the files of `motcua broker-config write --out {folder}`.
# Debian's own mosquitto.service listens on 1883 too: this unit stops it when it starts
# (Conflicts=); disable it for good with `systemctl disable --now mosquitto`.
[Unit]
Description=Mosquitto MQTT broker for motcua (máy chủ MQTT của motcua)
Documentation=man:mosquitto.conf(5)
After=network-online.target
Wants=network-online.target
Conflicts=mosquitto.service
Before=motcua-server.service

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
{_journal("motcua-broker")}
[Install]
WantedBy=multi-user.target
"""
    return [Unit(name, text)]


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


UNITS: dict[Role, Callable[[UnitOptions], list[Unit]]] = {
    Role.SERVER: server_units,
    Role.BROKER: broker_units,
    Role.KIOSK: kiosk_units,
    Role.PAD: pad_units,
    Role.BACKUP: backup_units,
}

SERVER_SECRETS = [
    "# Mật khẩu MQTT của máy chủ (server.broker.password_env trong site YAML)",
    "# the server's MQTT password (server.broker.password_env of the site YAML)",
    "#MOTCUA_MQTT_PASSWORD=",
    "# Ghi đè cơ sở dữ liệu của site YAML / overrides the site YAML's database",
    "#MOTCUA_DATABASE_URL=postgresql+psycopg://motcua:PASSWORD@127.0.0.1/motcua",
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
}


def env_file_text(role: Role) -> str:
    """A new environment file: comments and placeholders, no secret."""
    return (
        "# Bí mật của motcua cho systemd (EnvironmentFile=): chỉ root đọc được (0600).\n"
        "# motcua secrets for systemd (EnvironmentFile=): readable by root only (0600).\n"
        "# Bỏ dấu # và điền / remove the # and fill in:\n" + "\n".join(ENV_FILES[role][1]) + "\n"
    )
