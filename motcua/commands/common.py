"""What several commands share: the ``--config`` option, logging set-up, private files
and loading the site YAML with a clear error.

Kept apart from `motcua.cli` so that the command modules need not import the app that
mounts them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from server.config import SiteConfig

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", "-c", help="Tệp cấu hình đơn vị / site YAML", envvar="MOTCUA_CONFIG"),
]
LogLevelOpt = Annotated[
    str, typer.Option(help="Mức nhật ký / log level: debug | info | warning | error")
]
UsernameArg = Annotated[str, typer.Argument(help="Tên đăng nhập / user name")]


def setup_logging(level: str) -> None:
    # python-escpos calls logging.basicConfig() when imported (the printer commands):
    # its plain handler would keep the bare "LEVEL:name:message" format, so it goes.
    # Handlers of other kinds stay (pytest's: not `force=True`, which would also leave a
    # handler on a test's captured, soon closed, stderr).
    root = logging.getLogger()
    for handler in root.handlers[:]:
        if type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def make_private(database_url: str | None = None) -> None:
    """Files made from here on (database, -wal/-shm, voice cache, demo secrets) are
    readable by this user only; so is the SQLite database at ``database_url``, if any."""
    from server.files import private_umask, restrict_sqlite

    private_umask()
    if database_url:
        restrict_sqlite(database_url)


def load_site(config: Path) -> SiteConfig:
    """The site YAML at ``config``; a wrong one is its message and exit code 2."""
    from server.config import ConfigError, load_site_config

    try:
        return load_site_config(config)
    except ConfigError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from None
