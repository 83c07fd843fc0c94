"""Numbers are unique and gap-free under concurrent kiosks, on SQLite and PostgreSQL:
20 kiosk threads, and two server processes sharing one database. And desks calling at
the same moment never get the same citizen.

Every thread and process has its own `Database` (its own connections), as separate
server processes would. The clock is fixed, so a run near 17:00 UTC (local midnight)
cannot straddle two numbering days.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import defaultdict

import pytest
from sqlalchemy import select

from protocol.numbers import format_number
from server.config import SiteConfig, parse_site_config
from server.db.database import Database
from server.db.tables import CounterRow, TicketRow
from server.queue.changes import Changes
from server.queue.engine import QueueEngine
from tests.server.engine_helpers import DAY0, T0, Clock
from tests.support.sites import ROOT, site_data

# Concurrent numbering depends on the dialect's locking: always on both databases.
pytestmark = pytest.mark.matrix

KIOSKS = 20
PER_KIOSK = 50


def check_gap_free(db: Database, site: SiteConfig, issued: dict[str, list[str]]) -> None:
    """What the kiosks were given is exactly the first n numbers per service, as stored:
    1, 2, 3 … skipping the reserve zone (kept for the kiosks' offline blocks)."""
    zone_first, zone_last = site.reserve_zone
    outside = [i for i in range(1, 5000) if not zone_first <= i <= zone_last]
    with db.read() as s:
        rows = s.execute(select(TicketRow.service, TicketRow.seq, TicketRow.number)).all()
        counters = dict(
            s.execute(
                select(CounterRow.service, CounterRow.last_seq).where(CounterRow.day == DAY0)
            ).all()
        )
    stored: dict[str, list[int]] = defaultdict(list)
    for service, seq, number in rows:
        assert number == format_number(site.service_by_code[service].prefix, seq)
        stored[service].append(seq)
    assert set(stored) == set(issued)
    for service, given in issued.items():
        n = len(given)
        prefix = site.service_by_code[service].prefix
        by_seq = sorted(given, key=lambda number: int(number.removeprefix(prefix)))
        assert by_seq == [format_number(prefix, i) for i in outside[:n]], service
        assert sorted(stored[service]) == outside[:n], service
        assert counters[service] == outside[n - 1]


def test_20_kiosk_threads_get_unique_gap_free_numbers(
    site: SiteConfig, migrated_db: Database
) -> None:
    """1000 tickets of Tư pháp at once: A001 … A499, A560 … A1060 (the reserve zone
    A500–A559 skipped), each exactly once; and, mixed in, five Đất đai tickets from each
    odd kiosk, numbered on their own: B001 … B050."""
    barrier = threading.Barrier(KIOSKS)
    got: list[list[tuple[str, str]]] = [[] for _ in range(KIOSKS)]
    errors: list[BaseException] = []

    def kiosk(i: int) -> None:
        db = Database(migrated_db.url)  # a connection of its own, like another process
        engine = QueueEngine(site, clock=lambda: T0)
        presses = ["tp"] * PER_KIOSK
        if i % 2:
            presses[2::10] = ["dd"] * 5
            presses.extend(["tp"] * 5)
        try:
            barrier.wait(timeout=30)
            for service in presses:
                with db.write() as s:
                    t = engine.issue(s, service, kiosk_id=f"kiosk-{i}")
                got[i].append((service, t.number))
        except BaseException as e:
            errors.append(e)
        finally:
            db.dispose()

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(KIOSKS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    assert all(not th.is_alive() for th in threads)

    issued: dict[str, list[str]] = defaultdict(list)
    for mine in got:
        for service in ("tp", "dd"):
            seqs = [int(num[1:]) for svc, num in mine if svc == service]
            assert seqs == sorted(seqs), "a kiosk's later ticket got a smaller number"
        for service, number in mine:
            issued[service].append(number)
    assert len(issued["tp"]) == KIOSKS * PER_KIOSK
    assert len(issued["dd"]) == KIOSKS // 2 * 5
    check_gap_free(migrated_db, site, issued)


#: A server process: issues N numbers (services in turn) once told to go, prints them.
SERVER_PROCESS = """
import sys
import time
from datetime import datetime
from server.db.database import Database
from server.queue.engine import QueueEngine
from tests.support.sites import make_site

url, n, services, at = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
clock = datetime.fromisoformat(at)
db = Database(url)
engine = QueueEngine(make_site(), clock=lambda: clock)
print("ready", flush=True)
sys.stdin.readline()
out = []
for k in range(n):
    service = services[k % len(services)]
    with db.write() as s:
        out.append(service + ":" + engine.issue(s, service).number)
    # SQLite's lock is not fair: a process that takes it back at once can run its whole
    # loop first. A pause between presses (as real kiosks have) lets the two interleave.
    time.sleep(0.002)
db.dispose()
print(" ".join(out), flush=True)
"""


def test_two_server_processes_on_one_database_get_unique_gap_free_numbers(
    site: SiteConfig, migrated_db: Database
) -> None:
    """Two `motcua server` processes sharing ingest, two services issued in turn."""
    per_process = 200
    services = ["tp", "dd"]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                SERVER_PROCESS,
                migrated_db.url,
                str(per_process),
                ",".join(services),
                T0.isoformat(),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready", (
                p.stderr.read() if p.stderr else ""
            )
        for p in procs:  # both start issuing at once
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate(timeout=60) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err

    issued: dict[str, list[str]] = defaultdict(list)
    per_proc: list[list[int]] = []
    for out, _err in outputs:
        items = [item.split(":") for item in out.split()]
        assert len(items) == per_process
        for service, number in items:
            issued[service].append(number)
        per_proc.append([int(n[1:]) for svc, n in items if svc == "tp"])
    check_gap_free(migrated_db, site, issued)
    # The two processes really did issue at the same time: their numbers interleave.
    a, b = per_proc
    assert min(a) < max(b) and min(b) < max(a), "the processes did not overlap"


def test_desks_calling_at_once_never_call_the_same_ticket(migrated_db: Database) -> None:
    """Four desks serving one queue call and finish as fast as they can, each through
    its own connection: every ticket is called exactly once, by one desk."""
    data = site_data()
    for desk in data["desks"][:4]:
        desk["services"] = ["tp"]
    site = parse_site_config(data, "four-desks")
    desks = ["q1", "q2", "q3", "q4"]
    tickets = 120
    setup = QueueEngine(site, clock=lambda: T0)
    with migrated_db.write() as s:
        for _ in range(tickets):
            setup.issue(s, "tp")
        for i, desk in enumerate(desks, start=1):
            setup.open_desk(s, desk, f"c0{i}", Changes())

    barrier = threading.Barrier(len(desks))
    called: dict[str, list[str]] = {d: [] for d in desks}
    errors: list[BaseException] = []

    def desk_loop(desk: str) -> None:
        db = Database(migrated_db.url)
        clock = Clock(T0)
        engine = QueueEngine(site, clock=clock)
        try:
            barrier.wait(timeout=30)
            while True:
                clock.advance(seconds=1)
                with db.write() as s:
                    t = engine.call_next(s, desk, Changes())
                    if t is None:
                        return
                    called[desk].append(t.number)
                with db.write() as s:
                    engine.done(s, desk, Changes())
        except BaseException as e:
            errors.append(e)
        finally:
            db.dispose()

    threads = [threading.Thread(target=desk_loop, args=(d,)) for d in desks]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    everyone = [n for numbers in called.values() for n in numbers]
    assert len(everyone) == tickets, "a ticket was called twice, or somebody was skipped"
    assert sorted(everyone) == [format_number("A", i) for i in range(1, tickets + 1)]
    for numbers in called.values():  # each desk still takes the oldest waiting ticket
        assert numbers == sorted(numbers)
