"""The ``motcua`` command line (typer): server, demo, database, broker, users, printer."""

from __future__ import annotations

import getpass
import logging
import secrets
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from motcua.report_cli import report

T = TypeVar("T")

app = typer.Typer(
    help="motcua — lấy số thứ tự và đánh giá sự hài lòng tại Bộ phận một cửa "
    "(queue numbers and satisfaction ratings for one-stop desks).",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Cơ sở dữ liệu / database.", no_args_is_help=True)
broker_app = typer.Typer(
    help="Cấu hình Mosquitto và mật khẩu thiết bị / broker set-up.", no_args_is_help=True
)
user_app = typer.Typer(help="Tài khoản người dùng / user accounts.", no_args_is_help=True)
simulate_app = typer.Typer(
    help="Dữ liệu mô phỏng cho bản trình diễn và đo hiệu năng / simulated data.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(broker_app, name="broker-config")
app.add_typer(user_app, name="user")
app.add_typer(simulate_app, name="simulate")
app.command("report")(report)

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", "-c", help="Tệp cấu hình đơn vị / site YAML", envvar="MOTCUA_CONFIG"),
]


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _private(database_url: str | None = None) -> None:
    """Files made from here on (database, -wal/-shm, voice cache, demo secrets) are
    readable by this user only; so is the SQLite database at ``database_url``, if any."""
    from server.files import private_umask, restrict_sqlite

    private_umask()
    if database_url:
        restrict_sqlite(database_url)


def _load(config: Path):
    from server.config import ConfigError, load_site_config

    try:
        return load_site_config(config)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None


@app.command()
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
    _setup_logging(log_level)
    cfg = _load(config)
    if check:
        typer.echo(
            f"{config}: OK — {cfg.site.name}: {len(cfg.services)} lĩnh vực, {len(cfg.desks)} quầy, "
            f"{len(cfg.devices)} thiết bị"
        )
        return
    from server.serve import serve

    _private()
    serve(cfg, database_url=database_url, http_port=http_port, broker_port=broker_port)


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option(help="Thư mục dữ liệu demo / demo data folder")] = Path(
        "var/demo"
    ),
    http_port: int = 8080,
    broker_port: int = 1883,
    windows: Annotated[
        bool, typer.Option(help="Mở cửa sổ kiosk / open the kiosk window (with a display)")
    ] = True,
    log_level: str = "info",
) -> None:
    """Chạy bản trình diễn / run the demo: server + its Mosquitto + SQLite, and with a
    display a kiosk window printing to a virtual printer."""
    _setup_logging(log_level)
    _private()
    from server.demo import run_demo

    on_ready = None
    if windows:
        from motcua.demo_devices import start_devices

        def on_ready(rt):
            return start_devices(data_dir, rt)

    run_demo(data_dir, http_port=http_port, broker_port=broker_port, on_ready=on_ready)


@db_app.command("upgrade")
def db_upgrade(
    config: ConfigOpt = Path("config/site.yaml"),
    database_url: Annotated[str | None, typer.Option(help="Ghi đè / overrides the config")] = None,
) -> None:
    """Cập nhật lược đồ / apply database migrations (Alembic)."""
    from server.db.database import Database
    from server.db.migrate import current_revision, upgrade

    url = database_url or _load(config).database_url()
    _private(url)
    db = Database(url)
    upgrade(db)
    typer.echo(f"cơ sở dữ liệu ở phiên bản / database at revision {current_revision(db)}")


@broker_app.command("write")
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
    from server.broker_config import write_mosquitto
    from server.config import ConfigError

    try:
        files = write_mosquitto(_load(config), out, bind=bind, port=port)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    typer.echo(f"đã ghi / wrote {files.conf}, {files.passwd}, {files.acl}")
    typer.echo(f"chạy / run: mosquitto -c {files.conf}")


@broker_app.command("hash")
def broker_hash(
    generate: Annotated[
        bool, typer.Option(help="Tạo mật khẩu ngẫu nhiên / make a random password")
    ] = False,
) -> None:
    """Băm mật khẩu thiết bị / hash a device password for the site YAML ($7$, Mosquitto)."""
    from server.passwords import hash_device_password

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


def _account_change(config: Path, change: Callable[[Any, Any], T]) -> tuple[T, Any]:
    """Run one account change in a write transaction of the site's (migrated) database.
    A refused change (`UserError`) is one clear message and exit code 2."""
    from server.db.database import Database
    from server.db.migrate import upgrade
    from server.users import UserError

    cfg = _load(config)
    _private(cfg.database_url())
    db = Database(cfg.database_url())
    try:
        upgrade(db)
        with db.write() as s:
            return change(s, cfg), cfg
    except UserError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin | supervisor | clerk | board")],
    clerk: Annotated[str | None, typer.Option(help="Mã cán bộ / clerk id (role clerk)")] = None,
    config: ConfigOpt = Path("config/site.yaml"),
    password_stdin: Annotated[
        bool, typer.Option(help="Đọc mật khẩu từ stdin / read it from stdin")
    ] = False,
) -> None:
    """Tạo tài khoản / add a user (the first admin too: there is no default password)."""
    from server.users import add_user

    _load(config)  # a broken config is reported before the password is asked
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Mật khẩu / password: ")
        if getpass.getpass("Nhập lại / again: ") != password:
            typer.echo("mật khẩu không khớp / passwords differ", err=True)
            raise typer.Exit(2)
    user, _ = _account_change(
        config, lambda s, cfg: add_user(s, cfg, username, password, role, clerk)
    )
    typer.echo(f"đã tạo / created {user.username} ({user.role})")


@user_app.command("board-token")
def user_board_token(
    name: Annotated[str, typer.Argument(help="Tên màn hình / board account, e.g. tv-sanh")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="Hiệu lực (ngày) / valid days")] = 365,
    config: ConfigOpt = Path("config/site.yaml"),
) -> None:
    """Địa chỉ mở màn hình gọi số / the address a display board opens (read-only token).

    Open the printed address once on the TV's browser: the token becomes its session.
    """
    from server.users import board_token

    (token, expires), cfg = _account_change(config, lambda s, cfg: board_token(s, cfg, name, days))
    base = cfg.site.public_url.rstrip("/") or f"http://127.0.0.1:{cfg.server.http.port}"
    typer.echo(f"{base}/board?token={token}")
    typer.echo(f"hết hạn / expires {expires.astimezone(cfg.tz):%d/%m/%Y}", err=True)


@user_app.command("revoke")
def user_revoke(username: str, config: ConfigOpt = Path("config/site.yaml")) -> None:
    """Đăng xuất mọi phiên / revoke every session and token of a user (a board too)."""
    from server.users import revoke_all_tokens

    n, _ = _account_change(config, lambda s, cfg: revoke_all_tokens(s, username))
    typer.echo(f"đã thu hồi / revoked {n}")


@user_app.command("hash-pin")
def user_hash_pin(
    pin_stdin: Annotated[
        bool, typer.Option(help="Đọc mã PIN từ stdin / read it from stdin")
    ] = False,
) -> None:
    """Mã hoá mã PIN quản trị của kiosk/bảng đánh giá / hash a device admin PIN.

    Paste the printed hash into the device YAML as ``screen.admin_pin_hash``.
    """
    from server.passwords import hash_user_password

    pin = sys.stdin.readline().strip() if pin_stdin else getpass.getpass("Mã PIN / PIN: ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        typer.echo("mã PIN phải gồm 4–12 chữ số / the PIN must be 4–12 digits", err=True)
        raise typer.Exit(2)
    typer.echo(hash_user_password(pin))


@simulate_app.command("history")
def simulate_history(
    days: Annotated[
        int, typer.Option(min=1, max=3660, help="Số ngày, đến hết --end / number of days")
    ],
    config: ConfigOpt = Path("config/site.yaml"),
    seed: Annotated[
        int | None,
        typer.Option(
            help="Hạt giống: cùng hạt giống, cùng lịch sử / random seed: same seed, same "
            "history (default: a new one, printed)"
        ),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Ngày cuối cùng YYYY-MM-DD / last day (default: yesterday)",
        ),
    ] = None,
    visits_per_day: Annotated[
        float | None,
        typer.Option(
            min=1,
            max=5000,
            help="Số lượt một ngày thường / visits on an ordinary weekday (default: 15 per desk)",
        ),
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="Ghi đè / overrides the config")] = None,
) -> None:
    """Tạo lịch sử mô phỏng những ngày đã qua / write realistic past days.

    Through the queue engine's own actions: arrivals by hour and weekday, clerks of
    different skill and satisfaction, ratings and reasons, no-shows, transfers. Days that
    already hold tickets are refused: nothing is written twice.
    """
    from server.db.database import Database
    from server.db.migrate import upgrade
    from server.simulation.write import HistoryRefused, history_range
    from server.simulation.write import simulate_history as write_history
    from server.timeutil import local_day, now_utc

    cfg = _load(config)
    url = database_url or cfg.database_url()
    seed = secrets.randbelow(1_000_000) if seed is None else seed
    _private(url)
    db = Database(url)
    try:
        first, last = history_range(days, end.date() if end else None, local_day(now_utc(), cfg.tz))
        upgrade(db)
        typer.echo(
            f"Đang tạo lịch sử {first:%d/%m/%Y}–{last:%d/%m/%Y} (hạt giống {seed})… / "
            f"generating history {first}–{last} (seed {seed})…"
        )
        summary = write_history(
            db, cfg, first=first, last=last, seed=seed, visits_per_day=visits_per_day
        )
    except HistoryRefused as e:
        typer.echo(f"{e.message}\n{e.message_en}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    typer.echo(summary.text())


@app.command()
def kiosk(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Tệp cấu hình kiosk / kiosk YAML")
    ] = Path("config/kiosk.yaml"),
    log_level: Annotated[str, typer.Option(help="debug | info | warning")] = "info",
) -> None:
    """Máy lấy số (màn hình cảm ứng) / the touchscreen kiosk."""
    from kiosk.main import run

    _run_device(run, config, log_level)


@app.command()
def pad(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Tệp cấu hình máy đánh giá / pad YAML")
    ] = Path("config/pad.yaml"),
    log_level: Annotated[str, typer.Option(help="debug | info | warning")] = "info",
) -> None:
    """Máy đánh giá tại quầy / the rating pad at a desk."""
    from rating_pad.main import run

    _run_device(run, config, log_level)


def _run_device(run: Callable[[Path], None], config: Path, log_level: str) -> None:
    """Run a touch app; a wrong config file is one clear message and exit code 2."""
    from touch_ui.device_config import DeviceConfigError

    _setup_logging(log_level)
    try:
        run(config)
    except DeviceConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None


def _mount_optional() -> None:
    """Sub-commands of packages that may not be installed on every machine."""
    try:
        from ticket_printer.cli import app as printer_app
    except ImportError:
        return
    app.add_typer(printer_app, name="printer", help="Máy in phiếu / ticket printer.")


_mount_optional()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
