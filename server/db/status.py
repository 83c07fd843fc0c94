"""What ``motcua db status`` reports: which database, its schema, its size, how much
it holds, and the newest backup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from server.db.backup import BackupFile, backups, sqlite_path
from server.db.database import Database
from server.db.migrate import current_revision, head_revision
from server.db.tables import RatingRow, TicketRow
from server.timeutil import now_utc


@dataclass(frozen=True)
class Counts:
    total: int
    today: int


@dataclass(frozen=True)
class DbStatus:
    kind: str
    #: The URL with its password masked.
    url: str
    revision: str | None
    head: str | None
    size: int
    tickets: Counts
    ratings: Counts
    last_backup: BackupFile | None

    @property
    def backup_age(self) -> timedelta | None:
        return None if self.last_backup is None else now_utc() - self.last_backup.at


def _size(db: Database) -> int:
    path = sqlite_path(db.url)
    if path is not None:
        files = [path.with_name(path.name + s) for s in ("", "-wal")]
        return sum(p.stat().st_size for p in files if p.exists())
    with db.engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)


def _counts(db: Database, column: type[TicketRow] | type[RatingRow], today: date) -> Counts:
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(column)) or 0
        on_day = s.scalar(select(func.count()).select_from(column).where(column.day == today))
    return Counts(int(total), int(on_day or 0))


def db_status(db: Database, today: date, backup_dir: Path) -> DbStatus:
    """The status of ``db`` (already migrated or not); ``today``: the site's local day."""
    revision = current_revision(db)
    has_tables = revision is not None
    empty = Counts(0, 0)
    found = backups(backup_dir)
    return DbStatus(
        kind="SQLite" if db.is_sqlite else "PostgreSQL",
        url=db.engine.url.render_as_string(hide_password=True),
        revision=revision,
        head=head_revision(db),
        size=_size(db),
        tickets=_counts(db, TicketRow, today) if has_tables else empty,
        ratings=_counts(db, RatingRow, today) if has_tables else empty,
        last_backup=found[-1] if found else None,
    )
