"""What the kiosk keeps on disk besides its outbox.

* the last ``kiosk/{id}/reserve`` message (catalogue and reserve blocks), so a kiosk
  restarted while the server is down still shows its services and can issue numbers;
* the last offline number used in each reserve block, so a restart never reuses one.

SQLite in WAL mode; every change is committed before the number is shown or printed.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from protocol.localstore import open_sqlite
from protocol.messages import ReserveBlock, ReserveBlocks


class ReserveExhausted(Exception):
    """No reserve number is left for this service today (or none was ever received)."""


class KioskState:
    def __init__(self, path: str | Path) -> None:
        self._db = open_sqlite(path, durable=True)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS setup (id INTEGER PRIMARY KEY, body TEXT)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS offline_used ("
                " day TEXT, service TEXT, last INTEGER, PRIMARY KEY (day, service))"
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ setup

    def save_setup(self, setup: ReserveBlocks) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO setup (id, body) VALUES (1, ?)", (setup.to_json().decode(),)
            )

    def load_setup(self) -> ReserveBlocks | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM setup WHERE id = 1").fetchone()
        return ReserveBlocks.model_validate_json(row[0]) if row else None

    # ------------------------------------------------------------------ reserve

    def take_reserve(self, block: ReserveBlock, day: date) -> int:
        """The next unused number of ``block`` on ``day``, recorded before it is returned."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT last FROM offline_used WHERE day = ? AND service = ?",
                    (day.isoformat(), block.service),
                ).fetchone()
                seq = block.first if row is None else max(row[0] + 1, block.first)
                if seq > block.last:
                    raise ReserveExhausted(block.service)
                self._db.execute(
                    "INSERT OR REPLACE INTO offline_used (day, service, last) VALUES (?, ?, ?)",
                    (day.isoformat(), block.service, seq),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return seq

    def reserve_left(self, block: ReserveBlock, day: date) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT last FROM offline_used WHERE day = ? AND service = ?",
                (day.isoformat(), block.service),
            ).fetchone()
        used_to = block.first - 1 if row is None else max(row[0], block.first - 1)
        return max(0, block.last - used_to)
