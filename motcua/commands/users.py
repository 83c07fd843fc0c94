"""``motcua user``: accounts of the web console (argon2, no default password), the
display boards' read-only addresses, revoking sessions, and the devices' admin PIN."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from motcua.commands.common import ConfigOpt, load_site, make_private

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from server.config import SiteConfig

T = TypeVar("T")

app = typer.Typer(help="Tài khoản người dùng / user accounts.", no_args_is_help=True)


def _account_change(
    config: Path, change: Callable[[Session, SiteConfig], T]
) -> tuple[T, SiteConfig]:
    """Run one account change in a write transaction of the site's (migrated) database.
    A refused change (`UserError`) is one clear message and exit code 2."""
    from server.auth.users import UserError
    from server.db.database import Database
    from server.db.migrate import upgrade

    cfg = load_site(config)
    make_private(cfg.database_url())
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


@app.command("add")
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
    from server.auth.users import add_user

    load_site(config)  # a broken config is reported before the password is asked
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


@app.command("board-token")
def user_board_token(
    name: Annotated[str, typer.Argument(help="Tên màn hình / board account, e.g. tv-sanh")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="Hiệu lực (ngày) / valid days")] = 365,
    config: ConfigOpt = Path("config/site.yaml"),
) -> None:
    """Địa chỉ mở màn hình gọi số / the address a display board opens (read-only token).

    Open the printed address once on the TV's browser: the token becomes its session.
    """
    from server.auth.tokens import board_token

    (token, expires), cfg = _account_change(config, lambda s, cfg: board_token(s, cfg, name, days))
    base = cfg.site.public_url.rstrip("/") or f"http://127.0.0.1:{cfg.server.http.port}"
    typer.echo(f"{base}/board?token={token}")
    typer.echo(f"hết hạn / expires {expires.astimezone(cfg.tz):%d/%m/%Y}", err=True)


@app.command("revoke")
def user_revoke(username: str, config: ConfigOpt = Path("config/site.yaml")) -> None:
    """Đăng xuất mọi phiên / revoke every session and token of a user (a board too)."""
    from server.auth.tokens import revoke_all_tokens

    n, _ = _account_change(config, lambda s, cfg: revoke_all_tokens(s, username))
    typer.echo(f"đã thu hồi / revoked {n}")


@app.command("hash-pin")
def user_hash_pin(
    pin_stdin: Annotated[
        bool, typer.Option(help="Đọc mã PIN từ stdin / read it from stdin")
    ] = False,
) -> None:
    """Mã hoá mã PIN quản trị của kiosk/bảng đánh giá / hash a device admin PIN.

    Paste the printed hash into the device YAML as ``screen.admin_pin_hash``.
    """
    from server.auth.passwords import hash_user_password

    pin = sys.stdin.readline().strip() if pin_stdin else getpass.getpass("Mã PIN / PIN: ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        typer.echo("mã PIN phải gồm 4–12 chữ số / the PIN must be 4–12 digits", err=True)
        raise typer.Exit(2)
    typer.echo(hash_user_password(pin))
