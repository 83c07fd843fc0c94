"""A durable outbox: device events survive broker outages, crashes and power cuts.

Every outgoing event is committed to a small SQLite file *before* it is handed to the
MQTT client, and deleted only when it is confirmed: by the server's receipt (after its
database commit) or, for links configured so, by the broker's PUBACK. After a restart
all rows still present are published again, in order, with their original ``msg_id``;
the server deduplicates on ``msg_id``, so a replay never counts twice.

The file is opened by `protocol.localstore.open_sqlite` (WAL, ``synchronous=FULL``):
commune offices lose power, and an event the citizen saw accepted must still be there
when the kiosk boots again.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from protocol.localstore import open_sqlite


@dataclass(frozen=True)
class OutboxItem:
    id: int
    msg_id: str
    topic: str
    payload: bytes
    qos: int
    retain: bool


class Outbox:
    """Thread-safe SQLite queue of events not yet confirmed (by receipt or PUBACK)."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        self._db = open_sqlite(path, durable=True)
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS outbox (
                   id INTEGER PRIMARY KEY AUTOINCREMENT,
                   msg_id TEXT NOT NULL UNIQUE,
                   topic TEXT NOT NULL,
                   payload BLOB NOT NULL,
                   qos INTEGER NOT NULL DEFAULT 1,
                   retain INTEGER NOT NULL DEFAULT 0,
                   created_at REAL NOT NULL)"""
        )

    def add(
        self, msg_id: str, topic: str, payload: bytes, qos: int = 1, retain: bool = False
    ) -> int:
        """Store an event durably; adding the same ``msg_id`` twice keeps the first."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO outbox (msg_id, topic, payload, qos, retain, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (msg_id, topic, payload, qos, int(retain), time.time()),
            )
            if cur.rowcount == 0:
                row = self._db.execute("SELECT id FROM outbox WHERE msg_id=?", (msg_id,)).fetchone()
                return int(row[0])
            return int(cur.lastrowid or 0)

    def remove(self, msg_ids: list[str]) -> None:
        if not msg_ids:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM outbox WHERE msg_id=?", [(m,) for m in msg_ids])
            self._db.execute("COMMIT")

    def pending(self) -> list[OutboxItem]:
        """Every event not yet acknowledged, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, msg_id, topic, payload, qos, retain FROM outbox ORDER BY id"
            ).fetchall()
        return [OutboxItem(r[0], r[1], r[2], bytes(r[3]), r[4], bool(r[5])) for r in rows]

    def depth(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
