"""``motcua user``: accounts of the web console (argon2, no default password): add, list,
disable, enable, reset a password, delete, the audit log of those changes; the display
boards' read-only addresses, revoking sessions, and the devices' admin PIN.

Every change is written to the audit log with the actor ``cli:<os user>``."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from motcua.commands.common import ConfigOpt, UsernameArg, load_site, make_private

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from server.config import SiteConfig

T = TypeVar("T")

app = typer.Typer(help="Tài khoản người dùng / user accounts.", no_args_is_help=True)


def _actor() -> str:
    """Who changes accounts from the command line, for the audit log."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (a bare container)
        return "cli:?"


def _account_change(
    config: Path, change: Callable[[Session, SiteConfig], T], *, write: bool = True
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
        with db.write() if write else db.read() as s:
            return change(s, cfg), cfg
    except UserError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()


@app.command("add")
def user_add(
    username: UsernameArg,
    role: Annotated[str, typer.Option(help="admin | supervisor | clerk | board")],
    clerk: Annotated[str | None, typer.Option(help="Mã cán bộ / clerk id (role clerk)")] = None,
    config: ConfigOpt = Path("config/site.yaml"),
    password_stdin: Annotated[
        bool, typer.Option(help="Đọc mật khẩu từ stdin / read it from stdin")
    ] = False,
) -> None:
    """Tạo tài khoản / add a user (the first admin too: there is no default password)."""
    from server.services.accounts import add_account

    load_site(config)  # a broken config is reported before the password is asked
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Mật khẩu / password: ")
        if getpass.getpass("Nhập lại / again: ") != password:
            typer.echo("mật khẩu không khớp / passwords differ", err=True)
            raise typer.Exit(2)
    user, _ = _account_change(
        config, lambda s, cfg: add_account(s, cfg, _actor(), username, password, role, clerk)
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
    from server.services.accounts import issue_board_token

    (token, expires), cfg = _account_change(
        config, lambda s, cfg: issue_board_token(s, cfg, _actor(), name, days)
    )
    base = cfg.site.public_url.rstrip("/") or f"http://127.0.0.1:{cfg.server.http.port}"
    typer.echo(f"{base}/board?token={token}")
    typer.echo(f"hết hạn / expires {expires.astimezone(cfg.tz):%d/%m/%Y}", err=True)


@app.command("revoke")
def user_revoke(username: UsernameArg, config: ConfigOpt = Path("config/site.yaml")) -> None:
    """Đăng xuất mọi phiên / revoke every session and token of a user (a board too)."""
    from server.services.accounts import revoke

    n, _ = _account_change(config, lambda s, cfg: revoke(s, _actor(), username))
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


def _when(at: datetime | None, cfg: SiteConfig) -> str:
    return at.astimezone(cfg.tz).strftime("%d/%m/%Y %H:%M") if at else "—"


@app.command("list")
def user_list(config: ConfigOpt = Path("config/site.yaml")) -> None:
    """Danh sách tài khoản / list the accounts (times in the site's time zone)."""
    from server.services.accounts import list_accounts

    accounts, cfg = _account_change(config, lambda s, cfg: list_accounts(s), write=False)
    head = ("TÀI KHOẢN/USER", "VAI TRÒ/ROLE", "CÁN BỘ/CLERK", "TẠO/CREATED", "ĐĂNG NHẬP/LOGIN", "")
    rows = [
        (
            a.username,
            a.role,
            a.clerk_id or "—",
            _when(a.created_at, cfg),
            _when(a.last_login_at, cfg),
            f"đã khoá / disabled {_when(a.disabled_at, cfg)}" if not a.active else "",
        )
        for a in accounts
    ]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    for r in (head, *rows):
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


@app.command("disable")
def user_disable(username: UsernameArg, config: ConfigOpt = Path("config/site.yaml")) -> None:
    """Khoá tài khoản / disable an account: its sessions end, its log-in is refused."""
    from server.services.accounts import disable

    n, _ = _account_change(config, lambda s, cfg: disable(s, _actor(), username))
    typer.echo(f"đã khoá / disabled {username} (phiên kết thúc / sessions ended: {n})")


@app.command("enable")
def user_enable(username: UsernameArg, config: ConfigOpt = Path("config/site.yaml")) -> None:
    """Mở khoá tài khoản / enable a disabled account."""
    from server.services.accounts import enable

    changed, _ = _account_change(config, lambda s, cfg: enable(s, _actor(), username))
    typer.echo(f"đã mở khoá / enabled {username}" if changed else "không bị khoá / not disabled")


@app.command("reset-password")
def user_reset_password(
    username: UsernameArg,
    config: ConfigOpt = Path("config/site.yaml"),
    password_stdin: Annotated[
        bool, typer.Option(help="Đọc mật khẩu mới từ stdin / read the new one from stdin")
    ] = False,
    generate: Annotated[
        bool, typer.Option(help="Tạo mật khẩu ngẫu nhiên và in ra / generate and print one")
    ] = False,
) -> None:
    """Đặt lại mật khẩu / set a new password; the account's sessions end."""
    from server.services.accounts import reset_password

    load_site(config)
    password: str | None = None
    if password_stdin and generate:
        typer.echo("chọn --password-stdin hoặc --generate / not both", err=True)
        raise typer.Exit(2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not generate:
        password = getpass.getpass("Mật khẩu mới / new password: ")
        if getpass.getpass("Nhập lại / again: ") != password:
            typer.echo("mật khẩu không khớp / passwords differ", err=True)
            raise typer.Exit(2)
    new, _ = _account_change(config, lambda s, cfg: reset_password(s, _actor(), username, password))
    if generate:
        typer.echo(new)  # the only output on stdout: a script can read it
    typer.echo(f"đã đặt lại mật khẩu / password reset: {username}", err=True)


@app.command("delete")
def user_delete(
    username: UsernameArg,
    config: ConfigOpt = Path("config/site.yaml"),
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Không hỏi lại / do not ask")] = False,
) -> None:
    """Xoá tài khoản / delete an account (history keeps the name; prefer disable)."""
    from server.services.accounts import delete_account

    load_site(config)
    if not yes and not typer.confirm(f"Xoá tài khoản / delete {username}?"):
        raise typer.Exit(1)
    _account_change(config, lambda s, cfg: delete_account(s, _actor(), username))
    typer.echo(f"đã xoá / deleted {username}")


@app.command("audit")
def user_audit(
    config: ConfigOpt = Path("config/site.yaml"),
    limit: Annotated[int, typer.Option(min=1, max=10000, help="Số dòng / rows")] = 50,
) -> None:
    """Nhật ký thay đổi tài khoản / the audit log, newest first."""
    from server.services.accounts import audit_entries

    (entries, _total), cfg = _account_change(
        config, lambda s, cfg: audit_entries(s, limit), write=False
    )
    for e in entries:
        typer.echo(f"{_when(e.at, cfg)}  {e.actor}  {e.action}  {e.target}  {e.detail}".rstrip())
