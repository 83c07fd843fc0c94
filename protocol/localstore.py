"""How a device opens its small local SQLite files (outbox, kiosk state, answered tickets).

One helper so every store gets the same durability: commune offices lose power, and what
a citizen saw accepted (an event, an offline number, a rating) must still be there when
the device boots again. WAL lets readers and the writer work side by side;
``synchronous=FULL`` makes each commit survive a power cut; ``busy_timeout`` makes a
second connection wait for a lock instead of failing at once.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: How long a statement waits for another connection's lock before failing.
BUSY_TIMEOUT_MS = 5000


def open_sqlite(path: str | Path, durable: bool = True) -> sqlite3.Connection:
    """Open (creating it and its folder if needed) a SQLite file shared between threads.

    The connection is in autocommit mode (``isolation_level=None``): callers write
    ``BEGIN``/``COMMIT`` themselves where they need a transaction. ``durable=False`` keeps
    WAL but syncs less often (``synchronous=NORMAL``): a power cut may lose the last
    commits, never corrupt the file.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL" if durable else "PRAGMA synchronous=NORMAL")
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return db
