"""``motcua hub web`` (the hub's pages: the province overview, the drill-down into an
office, the reports across offices) and ``motcua hub user-add`` (their accounts).

Registered on the ``motcua hub`` group by `motcua.commands.hub` (`register`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from motcua.commands.common import UsernameArg, setup_logging

if TYPE_CHECKING:
    from hub.config import HubConfig
    from server.db.database import Database

HubConfigOpt = Annotated[
    Path,
    typer.Option(
        "--config", "-c", help="Tệp cấu hình trung tâm / hub YAML", envvar="MOTCUA_HUB_CONFIG"
    ),
]


def _load(config: Path) -> HubConfig:
    from hub.config import load_hub_config
    from server.config import ConfigError

    try:
        return load_hub_config(config)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None


def _open_db(cfg: HubConfig, config: Path) -> Database:
    """The hub database, migrated to head; a database that cannot be opened is two clear
    lines and exit code 2."""
    from motcua.database_errors import database_lines, is_database_error
    from protocol.i18n import Localized
    from server.db.database import Database
    from server.db.migrate import upgrade

    url = cfg.database()
    try:
        db = Database(url)
        upgrade(db)
    except Exception as e:
        if not is_database_error(e, url):
            raise
        where = Localized(
            f"database_url trong {config} hoặc MOTCUA_HUB_DATABASE_URL",
            f"database_url in {config} or MOTCUA_HUB_DATABASE_URL",
        )
        for line in database_lines(url, where, e):
            typer.echo(line, err=True)
        raise typer.Exit(2) from None
    return db


def web(
    config: HubConfigOpt = Path("config/hub.yaml"),
    port: Annotated[
        int | None,
        typer.Option(help="Cổng HTTP / HTTP port (default: http.port of the hub YAML)"),
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="Mức nhật ký / log level: debug | info | warning | error")
    ] = "info",
) -> None:
    """Chạy trang web của trung tâm / serve the hub's pages (overview, offices, reports)."""
    import uvicorn

    from hub.reports.warm import HubWarmer
    from hub.web.app import create_hub_app

    setup_logging(log_level)
    cfg = _load(config)
    db = _open_db(cfg, config)
    chosen = port or cfg.http.port
    typer.echo(f"{cfg.name}: http://{cfg.http.host}:{chosen}/")
    # every office's daily report roll-ups, kept built (a report merges stored days)
    warmer = HubWarmer(db)
    warmer.start()
    try:
        uvicorn.run(
            create_hub_app(cfg, db),
            host=cfg.http.host,
            port=chosen,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
    finally:
        warmer.stop()
        db.dispose()


def user_add(
    username: UsernameArg,
    role: Annotated[str, typer.Option(help="supervisor | admin")],
    password_env: Annotated[
        str,
        typer.Option(help="Biến môi trường chứa mật khẩu / environment variable with the password"),
    ],
    office: Annotated[
        str | None,
        typer.Option(
            help="Mã đơn vị: tài khoản chỉ xem đơn vị này / office code: the account sees "
            "only this office (default: every office)"
        ),
    ] = None,
    config: HubConfigOpt = Path("config/hub.yaml"),
) -> None:
    """Tạo tài khoản trên trung tâm / add a hub account (for every office, or one)."""
    from hub.web.accounts import add_hub_user
    from server.auth.users import UserError

    cfg = _load(config)
    password = os.environ.get(password_env)
    if not password:
        typer.echo(
            f"biến môi trường {password_env} chưa đặt mật khẩu / "
            f"environment variable {password_env} holds no password",
            err=True,
        )
        raise typer.Exit(2)
    db = _open_db(cfg, config)
    try:
        with db.write() as s:
            row = add_hub_user(s, username, password, role, office)
            name, scope = row.username, row.site
    except UserError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    where = f"đơn vị {scope} / office {scope}" if scope else "mọi đơn vị / every office"
    typer.echo(f"đã tạo {name} ({role}, {where}) / added {name}")


def register(app: typer.Typer) -> None:
    """Add ``web`` and ``user-add`` to the ``motcua hub`` group."""
    app.command("web")(web)
    app.command("user-add")(user_add)
