"""One server process per database.

A second ``motcua server`` started by mistake on the same database (a systemd service
and a terminal, two terminals) would share the broker account of the first and knock it
off the broker, and with the one-box broker rewrite its files. It is refused at start,
before it touches anything, with a message naming the first:

* SQLite: an exclusive ``flock`` on ``<database>.lock`` (never on the database file:
  closing any descriptor of it would drop SQLite's own POSIX locks);
* PostgreSQL: a session advisory lock per site, held on a dedicated connection whose
  ``application_name`` says which process holds it.

The operating system or PostgreSQL releases the lock when the process dies, even on
``kill -9``: there is no stale lock to clean up.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from server.db.database import Database
from server.timeutil import now_utc


class AlreadyRunning(RuntimeError):
    """Another server holds the database; the message says which and what to do."""


def _who() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def _lock_key(site: str) -> int:
    digest = hashlib.sha256(f"motcua-server:{site}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _refusal(site: str, holder: str) -> AlreadyRunning:
    return AlreadyRunning(
        f"một máy chủ motcua khác đang chạy với cơ sở dữ liệu này / another motcua server "
        f"is already running for site {site!r} on this database ({holder}); stop it first "
        "(e.g. `systemctl stop motcua-server`), or give this one its own database"
    )


class ServerLock:
    def __init__(self, db: Database, site: str) -> None:
        self.db = db
        self.site = site
        self._file: Any = None
        self._conn: Any = None

    def acquire(self, started_at: datetime | None = None) -> None:
        started = (started_at or now_utc()).isoformat(timespec="seconds")
        url = self.db.engine.url
        if self.db.is_sqlite:
            if url.database and url.database != ":memory:":
                self._flock(Path(url.database), started)
            return
        self._advisory(started)

    def _flock(self, database: Path, started: str) -> None:
        path = database.with_name(database.name + ".lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        f = os.fdopen(fd, "r+", encoding="utf-8")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = f.read().strip() or "unknown process"
            f.close()
            raise _refusal(self.site, holder) from None
        f.seek(0)
        f.truncate()
        f.write(f"{_who()}, since {started}\n")
        f.flush()
        self._file = f

    def _advisory(self, started: str) -> None:
        conn = self.db.engine.connect()
        name = f"motcua-server {_who()} since {started}"[:63]
        conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": name})
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_key(self.site)})
        if got.scalar():
            conn.commit()
            self._conn = conn
            return
        unsigned = _lock_key(self.site) & 0xFFFFFFFFFFFFFFFF
        holder = conn.execute(
            text(
                "SELECT a.application_name, a.client_addr FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
                " AND l.database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database())"
                " AND l.classid = CAST(:hi AS oid) AND l.objid = CAST(:lo AS oid)"
            ),
            {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF},
        ).first()
        conn.close()
        who = f"{holder[0]} from {holder[1] or 'local socket'}" if holder else "unknown process"
        raise _refusal(self.site, who)

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()  # closing the descriptor releases the flock
            self._file = None
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(self.site)}
                )
                self._conn.close()
            self._conn = None
