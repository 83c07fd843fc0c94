"""Putting a backup back (``motcua db restore``).

Refused while a server runs on the database: the restore takes the server's own lock
(`server.db.server_lock`) and holds it to the end, so no server can start halfway.
The backup's schema revision is checked against the code first: a backup from a newer
version is refused; an older one is restored and then migrated (as the server would at
its next start).

* SQLite: the current file (with its ``-wal``) is kept as
  ``<file>.before-restore-YYYYmmdd-HHMMSS``, then the checked copy is renamed into place.
* PostgreSQL: the current database is first dumped to the backup folder as
  ``before-restore-….dump``; ``pg_restore --clean --if-exists --single-transaction``
  then replaces the tables (all or nothing). Tables the backup does not have (made by a
  newer migration) are dropped first, so the upgrade afterwards can create them again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from alembic.script import ScriptDirectory
from sqlalchemy import text

from server.db.backup import (
    BackupError,
    check_sqlite,
    sqlite_path,
    sqlite_revision,
)
from server.db.database import Database
from server.db.migrate import alembic_config, current_revision, upgrade
from server.db.pgtools import ToolError, dump_revision, dump_tables, run_tool
from server.db.server_lock import AlreadyRunning, ServerLock
from server.files import FILE_MODE, fsync_path
from server.timeutil import now_utc


@dataclass(frozen=True)
class Restored:
    #: The backup's schema revision and the revision the database is at now.
    backup_revision: str
    revision: str | None
    #: Whether the restored database was migrated to this version's schema.
    upgraded: bool
    #: Where the database as it was before the restore was kept.
    kept: Path | None


def schema_age(db: Database, revision: str | None) -> str:
    """``"same"``, ``"older"`` (upgrade needed) or ``"newer"`` (made by a newer motcua
    than this one); `BackupError` if it is not a motcua database at all."""
    if revision is None:
        raise BackupError(
            "không phải bản sao lưu motcua / not a motcua backup (no schema revision in it)"
        )
    script = ScriptDirectory.from_config(alembic_config(db))
    head = script.get_current_head()
    if revision == head:
        return "same"
    known = {rev.revision for rev in script.walk_revisions()}
    return "older" if revision in known else "newer"


def _refuse_newer(revision: str, db: Database) -> BackupError:
    script = ScriptDirectory.from_config(alembic_config(db))
    return BackupError(
        f"bản sao lưu từ phiên bản motcua mới hơn / the backup comes from a newer motcua "
        f"(schema {revision}, this version knows up to {script.get_current_head()}): "
        "install that version (or newer) first, then restore"
    )


@contextlib.contextmanager
def _server_stopped(db: Database, site: str) -> Iterator[None]:
    lock = ServerLock(db, site)
    try:
        lock.acquire()
    except AlreadyRunning as e:
        raise BackupError(
            f"không khôi phục khi máy chủ đang chạy / refusing to restore: {e}"
        ) from None
    try:
        yield
    finally:
        lock.release()


def restore(backup_file: Path, url: str, site: str, tz: ZoneInfo, folder: Path) -> Restored:
    """Replace the database at ``url`` with ``backup_file``; ``folder``: where the
    PostgreSQL database is dumped before it is replaced."""
    if not backup_file.is_file():
        raise BackupError(f"không có tệp / no such file: {backup_file}")
    db = Database(url)
    try:
        with _server_stopped(db, site):
            target = sqlite_path(db.url)
            if target is not None:
                rev, kept = _restore_sqlite(backup_file, target, db, tz)
            else:
                rev, kept = _restore_pg(backup_file, db, tz, folder)
            upgraded = schema_age(db, rev) == "older"
            db.engine.dispose()
            if upgraded:
                upgrade(db)
            return Restored(rev, current_revision(db), upgraded, kept)
    finally:
        db.dispose()


def _check_revision(db: Database, revision: str | None) -> str:
    if schema_age(db, revision) == "newer":
        assert revision is not None
        raise _refuse_newer(revision, db)
    assert revision is not None
    return revision


def _restore_sqlite(
    backup_file: Path, target: Path, db: Database, tz: ZoneInfo
) -> tuple[str, Path | None]:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.restoring")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        os.close(fd)
        shutil.copyfile(backup_file, tmp)
        try:
            with contextlib.closing(sqlite3.connect(tmp)) as conn:
                check_sqlite(conn, backup_file)
        except sqlite3.DatabaseError as e:
            raise BackupError(f"không phải tệp SQLite / not a SQLite backup: {e}") from None
        rev = _check_revision(db, sqlite_revision(tmp))
        db.engine.dispose()
        kept = None
        if target.exists():
            kept = target.with_name(f"{target.name}.before-{_stamp(tz)}")
            for suffix in ("", "-wal"):
                old = target.with_name(target.name + suffix)
                if old.exists():
                    os.replace(old, kept.with_name(kept.name + suffix))
        target.with_name(target.name + "-shm").unlink(missing_ok=True)
        os.replace(tmp, target)
        fsync_path(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return rev, kept


def _stamp(tz: ZoneInfo) -> str:
    return f"restore-{now_utc().astimezone(tz):%Y%m%d-%H%M%S}"


def _restore_pg(
    backup_file: Path, db: Database, tz: ZoneInfo, folder: Path
) -> tuple[str, Path | None]:
    try:
        wanted = dump_tables(backup_file)
        rev = _check_revision(db, dump_revision(backup_file))
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        kept = folder / f"before-{_stamp(tz)}.dump"
        run_tool("pg_dump", ["--format=custom", "--no-owner", f"--file={kept}"], db.url)
        os.chmod(kept, FILE_MODE)
        _drop_extra_tables(db, wanted)
        run_tool(
            "pg_restore",
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                str(backup_file),
            ],
            db.url,
        )
    except ToolError as e:
        raise BackupError(str(e)) from None
    return rev, kept


def _drop_extra_tables(db: Database, wanted: set[str]) -> None:
    with db.engine.begin() as conn:
        names = conn.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).all()
        for name in sorted(set(names) - wanted):
            quoted = conn.dialect.identifier_preparer.quote(name)
            conn.execute(text(f"DROP TABLE IF EXISTS {quoted} CASCADE"))
