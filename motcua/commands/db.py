"""``motcua db``: the database's schema (Alembic migrations)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from motcua.commands.common import ConfigOpt, load_site, make_private

app = typer.Typer(help="Cơ sở dữ liệu / database.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(
    config: ConfigOpt = Path("config/site.yaml"),
    database_url: Annotated[str | None, typer.Option(help="Ghi đè / overrides the config")] = None,
) -> None:
    """Cập nhật lược đồ / apply database migrations (Alembic)."""
    from server.db.database import Database
    from server.db.migrate import current_revision, upgrade

    url = database_url or load_site(config).database_url()
    make_private(url)
    db = Database(url)
    upgrade(db)
    typer.echo(f"cơ sở dữ liệu ở phiên bản / database at revision {current_revision(db)}")
