"""``motcua db``: the database's schema (Alembic migrations), backups and status."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from motcua.commands.common import ConfigOpt, load_site, make_private
from motcua.errors import about_database, database_source

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from server.config import SiteConfig
    from server.db.status import DbStatus

app = typer.Typer(
    help="Cơ sở dữ liệu: lược đồ, sao lưu / database: schema, backups, status.",
    no_args_is_help=True,
)


@app.command("upgrade")
def db_upgrade(
    config: ConfigOpt = Path("config/site.yaml"),
    database_url: Annotated[str | None, typer.Option(help="Ghi đè / overrides the config")] = None,
) -> None:
    """Cập nhật lược đồ / apply database migrations (Alembic)."""
    from server.db.database import Database
    from server.db.migrate import current_revision, upgrade

    url = database_url or load_site(config).database_url()
    with about_database(url, database_source(config, database_url)):
        make_private(url)
        db = Database(url)
        upgrade(db)
        revision = current_revision(db)
    typer.echo(f"cơ sở dữ liệu ở phiên bản / database at revision {revision}")


UrlOpt = Annotated[str | None, typer.Option(help="Ghi đè / overrides the config")]
BackupDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Thư mục sao lưu / backup folder (default: server.data_dir/backups)",
    ),
]


def _backup_dir(site: SiteConfig, out: Path | None) -> Path:
    return out if out is not None else site.server.data_dir / "backups"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


@app.command("backup")
def db_backup(
    config: ConfigOpt = Path("config/site.yaml"),
    out: BackupDirOpt = None,
    keep: Annotated[
        int | None,
        typer.Option(min=1, help="Giữ N bản mới nhất / keep the newest N backups, delete older"),
    ] = None,
    database_url: UrlOpt = None,
) -> None:
    """Sao lưu khi máy chủ đang chạy / back the database up (safe while the server runs)."""
    from server.db.backup import BackupError, backup, prune

    site = load_site(config)
    url = database_url or site.database_url()
    make_private()
    folder = _backup_dir(site, out)
    try:
        made = backup(url, folder, site.tz)
        removed = prune(folder, keep) if keep is not None else []
    except BackupError as e:
        raise _fail(str(e)) from None
    typer.echo(
        f"đã sao lưu / backup written: {made.path} ({_size(made.size)}, {made.seconds:.1f} s)"
    )
    for path in removed:
        typer.echo(f"đã xoá bản cũ / removed old backup: {path}")


@app.command("restore")
def db_restore(
    backup_file: Annotated[Path, typer.Argument(help="Tệp sao lưu / backup file (.db, .dump)")],
    config: ConfigOpt = Path("config/site.yaml"),
    yes: Annotated[bool, typer.Option("--yes", help="Không hỏi lại / do not ask")] = False,
    out: BackupDirOpt = None,
    database_url: UrlOpt = None,
) -> None:
    """Khôi phục từ bản sao lưu / replace the database with a backup (server stopped)."""
    from server.db.backup import BackupError
    from server.db.restore import restore

    site = load_site(config)
    url = database_url or site.database_url()
    make_private()
    shown = _masked(url)
    if not yes and not typer.confirm(
        f"Thay cơ sở dữ liệu {shown} bằng {backup_file}? / "
        f"Replace the database {shown} with {backup_file}?"
    ):
        raise typer.Exit(1)
    try:
        done = restore(backup_file, url, site.site.code, site.tz, _backup_dir(site, out))
    except BackupError as e:
        raise _fail(str(e)) from None
    if done.kept is not None:
        typer.echo(f"bản cũ giữ ở / the database as it was is kept in: {done.kept}")
    typer.echo(f"đã khôi phục / restored {backup_file} into {shown}")
    if done.upgraded:
        typer.echo(
            f"bản sao lưu có lược đồ cũ ({done.backup_revision}), đã nâng cấp / the backup's "
            f"schema was older ({done.backup_revision}): migrated to {done.revision}"
        )


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command("status")
def db_status(
    config: ConfigOpt = Path("config/site.yaml"),
    out: BackupDirOpt = None,
    max_age_hours: Annotated[
        float,
        typer.Option(help="Mã thoát 1 nếu bản sao lưu cũ hơn / exit 1 if the last backup is older"),
    ] = 48.0,
    database_url: UrlOpt = None,
) -> None:
    """Tình trạng cơ sở dữ liệu / database kind, schema, size, rows and last backup.

    Exit code 1 when there is no backup or the newest is older than --max-age-hours
    (for monitoring), 2 when the database cannot be read."""
    from server.db.backup import BackupError, sqlite_path
    from server.db.database import Database
    from server.db.status import db_status as read_status
    from server.timeutil import local_day, now_utc

    site = load_site(config)
    url = database_url or site.database_url()
    with about_database(url, database_source(config, database_url)):
        try:
            path = sqlite_path(url)
        except BackupError as e:
            raise _fail(str(e)) from None
        if path is not None and not path.is_file():  # never create an empty one by looking
            raise _fail(f"không có cơ sở dữ liệu / no database at {path} (wrong database_url?)")
        db = Database(url)
        try:
            st = read_status(db, local_day(now_utc(), site.tz), _backup_dir(site, out))
        finally:
            db.dispose()
    typer.echo("\n".join(_status_lines(st, site.tz, _backup_dir(site, out))))
    age = st.backup_age
    if age is None or age.total_seconds() > max_age_hours * 3600:
        typer.echo(
            f"cảnh báo: không có bản sao lưu trong {max_age_hours:g} giờ qua / warning: no "
            f"backup in the last {max_age_hours:g} hours",
            err=True,
        )
        raise typer.Exit(1)


def _status_lines(st: DbStatus, tz: ZoneInfo, folder: Path) -> list[str]:
    from server.timeutil import fmt_local

    schema = "mới nhất / up to date" if st.revision == st.head else f"cần / needs {st.head}"
    lines = [
        f"loại / kind:        {st.kind}",
        f"địa chỉ / URL:      {st.url}",
        f"lược đồ / schema:   {st.revision or '—'} ({schema})",
        f"dung lượng / size:  {_size(st.size)}",
        f"lượt / tickets:     {st.tickets.total} (hôm nay / today {st.tickets.today})",
        f"đánh giá / ratings: {st.ratings.total} (hôm nay / today {st.ratings.today})",
    ]
    last, age = st.last_backup, st.backup_age
    if last is None or age is None:
        lines.append(f"sao lưu / backup:   chưa có / none in {folder}")
    else:
        hours = age.total_seconds() / 3600
        lines.append(
            f"sao lưu / backup:   {last.path} ({_size(last.size)}), "
            f"{fmt_local(last.at, tz)}, {hours:.1f} h trước / ago"
        )
    return lines
