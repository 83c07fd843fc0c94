"""The durable SQLite outbox: rows survive reopening, msg_id is unique, order is kept;
and every device store is opened durably by `protocol.localstore.open_sqlite`."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.state import KioskState
from protocol.localstore import BUSY_TIMEOUT_MS, open_sqlite
from protocol.outbox import Outbox, OutboxItem
from rating_pad.core import Answered

TOPIC = "motcua/v1/gialoc/desk/q1/rating"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "pad-q1.outbox.db"


@pytest.fixture
def box(path: Path) -> Iterator[Outbox]:
    b = Outbox(path)
    yield b
    b.close()


def mid(n: int) -> str:
    return str(uuid.UUID(int=n))


def test_rows_survive_closing_and_reopening_the_file(path: Path) -> None:
    box = Outbox(path)
    box.add(mid(1), TOPIC, b'{"level": "satisfied"}')
    box.add(mid(2), "motcua/v1/gialoc/device/pad-q1/health", b"\x00\xff binary", 0, True)
    before = box.pending()
    box.close()

    again = Outbox(path)
    try:
        after = again.pending()
        assert after == before
        assert [(i.msg_id, i.topic, i.payload, i.qos, i.retain) for i in after] == [
            (mid(1), TOPIC, b'{"level": "satisfied"}', 1, False),
            (mid(2), "motcua/v1/gialoc/device/pad-q1/health", b"\x00\xff binary", 0, True),
        ]
        assert all(isinstance(i, OutboxItem) for i in after)
        assert again.depth() == 2
    finally:
        again.close()


def test_a_second_connection_sees_committed_rows_at_once(box: Outbox, path: Path) -> None:
    """Every add is committed before it returns (a crash right after loses nothing)."""
    box.add(mid(1), TOPIC, b"x")
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT msg_id FROM outbox").fetchall() == [(mid(1),)]


def test_same_msg_id_is_stored_once_and_keeps_the_first(box: Outbox) -> None:
    first = box.add(mid(7), TOPIC, b"first")
    again = box.add(mid(7), TOPIC, b"retry")
    assert first == again
    assert box.depth() == 1
    assert [i.payload for i in box.pending()] == [b"first"]


def test_remove_deletes_only_the_given_events(box: Outbox) -> None:
    for n in range(1, 6):
        box.add(mid(n), TOPIC, str(n).encode())
    box.remove([mid(2), mid(4)])
    assert [i.msg_id for i in box.pending()] == [mid(1), mid(3), mid(5)]
    box.remove([])
    box.remove([mid(99)])  # an ack for an event already removed is harmless
    box.remove([mid(2)])
    assert box.depth() == 3


def test_pending_is_oldest_first(box: Outbox) -> None:
    ids = [str(uuid.uuid4()) for _ in range(20)]  # random ids: order must not follow them
    for n, m in enumerate(ids):
        box.add(m, TOPIC, str(n).encode())
    box.remove(ids[:5])
    box.add(ids[0], TOPIC, b"re-added")  # after removal it is a new, newest row
    pending = box.pending()
    assert [i.msg_id for i in pending] == [*ids[5:], ids[0]]
    assert [i.id for i in pending] == sorted(i.id for i in pending)
    assert pending[-1].payload == b"re-added"


def test_depth_counts_pending_events(box: Outbox) -> None:
    assert box.depth() == 0
    for n in range(3):
        box.add(mid(n), TOPIC, b"x")
    assert box.depth() == 3
    box.remove([mid(0), mid(1), mid(2)])
    assert box.depth() == 0
    assert box.pending() == []


def test_concurrent_adds_from_threads_are_all_kept(box: Outbox) -> None:
    def worker(t: int) -> None:
        for n in range(50):
            box.add(mid(t * 1000 + n), TOPIC, b"x")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert box.depth() == 200
    assert len({i.msg_id for i in box.pending()}) == 200


def test_the_file_is_created_with_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "var" / "kiosk" / "outbox.db"
    box = Outbox(path)
    try:
        box.add(mid(1), TOPIC, b"x")
    finally:
        box.close()
    assert path.exists()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(("durable", "synchronous"), [(True, 2), (False, 1)])
def test_open_sqlite_uses_wal_a_busy_timeout_and_full_sync_when_durable(
    tmp_path: Path, durable: bool, synchronous: int
) -> None:
    db = open_sqlite(tmp_path / "a" / "store.db", durable=durable)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == synchronous  # 2 = FULL
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
    finally:
        db.close()


def test_every_device_store_survives_a_power_cut(tmp_path: Path) -> None:
    """Outbox, kiosk state and the pad's answered tickets: all WAL + synchronous=FULL."""
    stores = [
        Outbox(tmp_path / "outbox.db"),
        KioskState(tmp_path / "kiosk.db"),
        Answered(str(tmp_path / "answered.db")),
    ]
    try:
        for store in stores:
            db: sqlite3.Connection = store._db
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal", store
            assert db.execute("PRAGMA synchronous").fetchone()[0] == 2, store
    finally:
        for store in stores:
            store.close()
