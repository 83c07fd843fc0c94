"""``motcua install systemd``: the systemd units of this machine's roles.

Writes the unit files (`motcua.systemd_units`), creates each role's environment file
for its passwords if it is missing (0600, placeholders only, never overwritten) and
prints the ``systemctl`` commands that start them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from motcua.systemd_units import ENV_FILES, UNITS, Role, Unit, UnitOptions, env_file_text

app = typer.Typer(help="Cài đặt trên máy này / install on this machine.", no_args_is_help=True)

ETC = Path("/etc/motcua")
ROLE_NAMES = " | ".join(r.value for r in Role)
CONFIGS = {Role.KIOSK: "kiosk.yaml", Role.PAD: "pad.yaml", Role.HUB: "hub.yaml"}
#: Mosquitto's roles: no config or secret of their own, run as ``mosquitto``.
BROKERS = {
    Role.BROKER: Path("/etc/mosquitto/motcua/mosquitto.conf"),
    Role.HUB_BROKER: Path("/etc/mosquitto/motcua-hub/mosquitto.conf"),
}


def _roles(values: list[str] | None) -> list[str]:
    if not values:
        raise typer.BadParameter(f"cần ít nhất một vai trò / give at least one role: {ROLE_NAMES}")
    unknown = [v for v in values if v not in Role.__members__.values()]
    if unknown:
        raise typer.BadParameter(
            f"không có vai trò / no such role {', '.join(unknown)}: chọn / choose {ROLE_NAMES}"
        )
    return list(dict.fromkeys(values))


def motcua_command() -> list[str]:
    """The ``motcua`` that is running now, for ExecStart= (the venv's, not one on PATH)."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "motcua" and argv0.is_file():
        return [str(argv0.absolute())]
    beside = Path(sys.executable).with_name("motcua")  # the same venv's bin/
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("motcua")
    return [found] if found else [sys.executable, "-m", "motcua.cli"]


def examples_dir() -> Path:
    """The example configurations: the installed wheel's copy, or the source tree's."""
    installed = Path(sys.prefix) / "share" / "motcua" / "config"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[2] / "config"


def _check_config(conf: Path, role: Role) -> None:
    if role in BROKERS or conf.exists():
        return
    example = examples_dir() / CONFIGS.get(role, "site.yaml").replace(".yaml", ".example.yaml")
    typer.echo(
        f"chú ý / note: chưa có / no {conf} yet: sudo install -D -m 640 {example} {conf} "
        "rồi sửa / then edit it",
        err=True,
    )


def _one_kind(roles: list[Role], config: Path | None, env_file: Path | None) -> None:
    """--config and --env-file name one file: not for a server and a device at once."""
    kinds = {CONFIGS.get(r, "site.yaml") for r in roles if r not in BROKERS}
    if (config or env_file) and len(kinds) > 1:
        raise typer.BadParameter(
            "--config/--env-file: mỗi lần một loại máy / one kind of machine at a time "
            "(server, backup | kiosk | pad | hub): chạy riêng / run once for each"
        )


def _home(user: str) -> Path:
    try:
        return Path(pwd.getpwnam(user).pw_dir)
    except KeyError:
        typer.echo(
            f"chú ý / note: chưa có tài khoản / no account {user!r} on this machine yet "
            f"(sudo adduser --system --group --home /var/lib/motcua {user} for the server; "
            f"the desktop user for a kiosk or pad)",
            err=True,
        )
        return Path("/home") / user


@contextmanager
def _as_root() -> Iterator[None]:
    """A folder only root may write: one line saying so, not a traceback."""
    try:
        yield
    except PermissionError as e:
        typer.echo(
            f"không ghi được / cannot write {e.filename}: chạy bằng sudo / run it with sudo",
            err=True,
        )
        raise typer.Exit(1) from None


def _write_units(units: list[Unit], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for unit in units:
        path = out / unit.name
        path.write_text(unit.text, encoding="utf-8")
        path.chmod(0o644)
        typer.echo(f"đã ghi / wrote {path}")


def ensure_env_file(path: Path, role: Role) -> None:
    """Create ``path`` with placeholders (0600) unless it exists; never print a secret."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        typer.echo(f"giữ nguyên / kept {path} ({mode:o})")
        if mode & 0o077:
            typer.echo(
                f"chú ý / note: {path} đọc được bởi người khác / readable by others: "
                f"sudo chmod 600 {path}",
                err=True,
            )
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(env_file_text(role))
    typer.echo(f"đã tạo / created {path} (600): điền mật khẩu / fill in the password")


def _next_steps(roles: list[Role]) -> None:
    enable = []
    for role in roles:
        if role is Role.BACKUP:
            enable.append("motcua-backup.timer")
        elif role is Role.HUB:  # two workers to start with; add @3, @4 … as needed
            enable += ["motcua-hub@1.service", "motcua-hub@2.service", "motcua-hub-web.service"]
        else:
            enable.append(f"motcua-{role}.service")
    typer.echo("\nTiếp theo / next:")
    typer.echo("  sudo systemctl daemon-reload")
    if set(roles) & set(BROKERS):
        typer.echo("  sudo systemctl disable --now mosquitto.service   # Debian's own, port 1883")
    typer.echo(f"  sudo systemctl enable --now {' '.join(enable)}")
    typer.echo(f"  journalctl -u {enable[0]} -f   # nhật ký / its log")


@app.command("systemd")
def install_systemd(
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            "-r",
            metavar="<role>",
            callback=_roles,
            help=f"Vai trò, nhắc lại được / role, repeatable: {ROLE_NAMES}",
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Thư mục ghi unit / where the unit files go")] = Path(
        "/etc/systemd/system"
    ),
    user: Annotated[
        str,
        typer.Option(
            help="Tài khoản chạy dịch vụ / account the services run as (kiosk, pad: "
            "the one logged in on the screen)"
        ),
    ] = "motcua",
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Tệp cấu hình / config file (default: /etc/motcua/site.yaml; kiosk.yaml, "
            "pad.yaml, hub.yaml for a kiosk, pad or hub)",
        ),
    ] = None,
    env_file: Annotated[
        Path | None,
        typer.Option(
            help="Tệp mật khẩu / environment file with the passwords "
            "(default: /etc/motcua/server.env, kiosk.env, pad.env, hub.env)"
        ),
    ] = None,
    broker_conf: Annotated[
        Path | None,
        typer.Option(
            help="mosquitto.conf của / of `motcua broker-config write` (default: "
            "/etc/mosquitto/motcua/mosquitto.conf; for hub-broker, of `motcua hub "
            "broker-config`: /etc/mosquitto/motcua-hub/mosquitto.conf)"
        ),
    ] = None,
    display: Annotated[str, typer.Option(help="Màn hình X / X display (kiosk, pad)")] = ":0",
) -> None:
    """Ghi unit systemd / write the systemd units of this machine's roles."""
    roles = [Role(r) for r in role or []]
    _one_kind(roles, config, env_file)
    home = _home(user) if set(roles) - set(BROKERS) else Path("/")  # brokers: run as mosquitto
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    for r in roles:
        conf = config or ETC / CONFIGS.get(r, "site.yaml")
        env = env_file or ETC / ENV_FILES.get(r, ("none", []))[0]
        opts = UnitOptions(
            motcua=motcua_command(),
            user=user,
            config=conf.absolute(),
            env_file=env.absolute(),
            home=home,
            mosquitto=Path(mosquitto),
            broker_conf=(broker_conf or BROKERS.get(r, BROKERS[Role.BROKER])).absolute(),
            display=display,
        )
        _check_config(opts.config, r)
        with _as_root():
            _write_units(UNITS[r](opts), out)
            if r in ENV_FILES:
                ensure_env_file(opts.env_file, r)
    _next_steps(roles)
