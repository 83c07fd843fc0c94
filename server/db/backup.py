"""Backups of the server's database, taken while the server runs (``motcua db backup``).

* SQLite: SQLite's online backup API copies the database as one consistent snapshot
  (what was committed when the copy started, the WAL included) while the server keeps
  writing; the copy is a single file (journal mode DELETE), checked with
  ``PRAGMA integrity_check`` before it gets its final name.
* PostgreSQL: ``pg_dump --format=custom`` (itself a consistent snapshot), checked by
  listing it with ``pg_restore --list``.

A backup is written under a temporary name and renamed when complete, so a backup
folder never holds a half-written file under a backup's name; files are 0600.
Names are ``motcua-YYYYmmdd-HHMMSS.db`` / ``.dump`` in the site's local time; retention
only ever deletes files with such names.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url

from server.db.pgtools import ToolError, dump_tables, run_tool
from server.files import FILE_MODE, fsync_path, private_dir
from server.timeutil import now_utc

NAME = re.compile(r"^motcua-(\d{8}-\d{6})\.(db|dump)$")


_NO_SCHEMA = (
    "cơ sở dữ liệu chưa có lược đồ motcua / the database has no motcua schema "
    "(wrong database_url? or run `motcua db upgrade`)"
)


class BackupError(RuntimeError):
    """The backup could not be made; the message says why (Vietnamese / English)."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    #: When it was written (the file's modification time), aware.
    at: datetime
    #: How long taking it took, in seconds (0 for one found on disk).
    seconds: float = 0.0


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL (or in-memory)."""
    u = make_url(url)
    if not u.drivername.startswith("sqlite"):
        return None
    if not u.database or u.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(u.database)


def backup_name(at: datetime, tz: ZoneInfo, kind: str) -> str:
    return f"motcua-{at.astimezone(tz):%Y%m%d-%H%M%S}.{kind}"


def backups(folder: Path) -> list[BackupFile]:
    """The backups in ``folder`` (files named as this module names them), oldest first."""
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        if NAME.match(p.name) and p.is_file():
            st = p.stat()
            found.append(BackupFile(p, st.st_size, _mtime(st.st_mtime)))
    return sorted(found, key=lambda b: (b.path.name, b.at))


def _mtime(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest backups beyond the newest ``keep``; the deleted paths."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    old = backups(folder)[:-keep]
    for b in old:
        b.path.unlink(missing_ok=True)
    return [b.path for b in old]


def backup(url: str, folder: Path, tz: ZoneInfo) -> BackupFile:
    """Back the database at ``url`` up into ``folder``; the file written."""
    private_dir(folder)
    started = time.monotonic()
    at = now_utc()
    db_file = sqlite_path(url)
    kind = "db" if db_file is not None else "dump"
    target = folder / backup_name(at, tz, kind)
    if target.exists():  # two backups in the same second: wait for the next one
        time.sleep(1.05 - (time.time() % 1))
        at = now_utc()
        target = folder / backup_name(at, tz, kind)
    tmp = folder / f".{target.name}.part"
    try:
        _private_empty(tmp)
        if db_file is not None:
            _sqlite_backup(db_file, tmp)
        else:
            _pg_backup(url, tmp)
        fsync_path(tmp)
        os.replace(tmp, target)
        fsync_path(folder)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupFile(target, target.stat().st_size, at, time.monotonic() - started)


def _private_empty(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    os.close(fd)


def _sqlite_backup(db_file: Path, tmp: Path) -> None:
    if not db_file.is_file():
        raise BackupError(
            f"không có cơ sở dữ liệu / no database at {db_file} (wrong database_url?)"
        )
    # Read-only: a backup must never create or change the server's database.
    src = sqlite3.connect(f"{db_file.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.execute("PRAGMA busy_timeout=30000")
        # pages=-1: the whole database in one step, so one read snapshot; a reader in WAL
        # mode never blocks the server's writers.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check_sqlite(dst, tmp)
        if not dst.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone():
            raise BackupError(_NO_SCHEMA)
    except sqlite3.Error as e:
        raise BackupError(f"sao lưu thất bại / backup failed: {e}") from e
    finally:
        dst.close()
        src.close()


def check_sqlite(conn: sqlite3.Connection, path: Path) -> None:
    """``PRAGMA integrity_check`` must say ``ok``."""
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        raise BackupError(
            f"tệp sao lưu bị hỏng / {path.name} fails the integrity check: {'; '.join(rows[:5])}"
        )


def _pg_backup(url: str, tmp: Path) -> None:
    try:
        run_tool("pg_dump", ["--format=custom", "--no-owner", f"--file={tmp}"], url)
        if "alembic_version" not in dump_tables(tmp):
            raise BackupError(_NO_SCHEMA)
    except ToolError as e:
        raise BackupError(str(e)) from None


def sqlite_revision(path: Path) -> str | None:
    """The Alembic revision of a SQLite file (None: not a motcua database)."""
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as c:
        try:
            row = c.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            return None
    return str(row[0]) if row else None
