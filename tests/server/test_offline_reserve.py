"""Offline kiosks in `QueueEngine`: reserve blocks per kiosk, service and day,
online numbers skipping the reserve zone, and offline tickets merged at their issue
time. On SQLite and PostgreSQL, with a test clock."""

from __future__ import annotations

import threading
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from protocol.messages import OfflineTicket, ReserveBlocks
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import CounterRow, ReserveBlockRow
from server.publisher import StatePublisher
from server.queue.changes import Changes
from server.queue.engine import QueueEngine
from tests.server.engine_helpers import DAY0, T0, Clock, Office, refused
from tests.support.sites import make_site

# Reserve allocation uses a PostgreSQL advisory lock: always on both databases.
pytestmark = pytest.mark.matrix


@pytest.fixture
def office(site: SiteConfig, migrated_db: Database) -> Office:
    return Office(site, migrated_db)


def reserve(o: Office, kiosk: str, day: date | None = None) -> ReserveBlocks:
    with o.db.write() as s:
        return o.engine.reserve_blocks(s, kiosk, day)


def blocks_of(r: ReserveBlocks) -> dict[str, tuple[int, int]]:
    return {b.service: (b.first, b.last) for b in r.blocks}


def offline(
    kiosk: str,
    number: str,
    issued_at: datetime,
    service: str = "tp",
    day: date = DAY0,
    ticket_id: uuid.UUID | None = None,
    priority: str | None = None,
) -> OfflineTicket:
    return OfflineTicket(
        device_id=kiosk,
        sent_at=issued_at,
        ticket_id=ticket_id or uuid.uuid4(),
        number=number,
        service=service,
        priority=priority,
        issued_at=issued_at,
        day=day,
    )


def merge(o: Office, kiosk: str, t: OfflineTicket, received_at: datetime | None = None):
    o.changes = Changes()
    with o.db.write() as s:
        return o.engine.merge_offline(s, kiosk, t, received_at or o.clock(), o.changes)


# ---------------------------------------------------------------------- allocation


def test_blocks_are_allocated_in_request_order_and_kept(office: Office) -> None:
    site = office.config
    assert site.reserve_zone == (500, 559)  # two kiosks × 30 from 500
    second = reserve(office, "kiosk-2")  # asks first: gets the first block of each service
    first = reserve(office, "kiosk-1")
    assert blocks_of(second) == {s.code: (500, 529) for s in site.services}
    assert blocks_of(first) == {s.code: (530, 559) for s in site.services}
    assert [b.prefix for b in first.blocks] == [s.prefix for s in site.services]
    assert second.day == first.day == DAY0 and first.kiosk_id == "kiosk-1"
    # Asking again (restart, kiosk back online) gives the same blocks, allocates nothing.
    assert reserve(office, "kiosk-1") == first
    with office.db.read() as s:
        assert len(list(s.scalars(select(ReserveBlockRow)))) == 2 * len(site.services)
    # The catalogue: a kiosk started while the server is down can still show its buttons.
    assert first.office_name == site.site.name and first.office_name_en == site.site.name_en
    assert first.public_url == site.site.public_url
    assert [(s.code, s.name, s.prefix) for s in first.services] == [
        (s.code, s.name, s.prefix) for s in site.services
    ]
    assert [p.code for p in first.priorities] == [p.code for p in site.priorities]
    # A new day: new blocks, allocated afresh in that day's request order.
    office.clock.advance(days=1)
    assert reserve(office, "kiosk-1").day == DAY0 + timedelta(days=1)
    assert blocks_of(reserve(office, "kiosk-1"))["tp"] == (500, 529)
    with refused("unknown_device"):
        reserve(office, "pad-q1")


def test_concurrent_allocation_gives_disjoint_blocks(migrated_db: Database) -> None:
    """Servers allocating at once (each its own connection) meet on the unique keys and
    retry: every kiosk gets one block per service, no two overlap."""
    site = make_site(kiosks=12)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []
    got: dict[str, ReserveBlocks] = {}

    def server(k: int) -> None:
        db = Database(migrated_db.url)
        engine = QueueEngine(site, clock=lambda: T0)
        try:
            barrier.wait(10)
            for i in range(k + 1, 13, 4):
                kiosk = f"kiosk-{i}"
                with db.write() as s:
                    got[kiosk] = engine.reserve_blocks(s, kiosk)
        except BaseException as e:
            errors.append(e)
        finally:
            db.dispose()

    threads = [threading.Thread(target=server, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(got) == sorted(site.kiosk_ids)
    for svc in site.services:
        firsts = sorted(blocks_of(r)[svc.code][0] for r in got.values())
        assert firsts == [500 + 30 * i for i in range(12)], svc.code
    with migrated_db.read() as s:
        rows = list(s.scalars(select(ReserveBlockRow)))
    assert len(rows) == 12 * len(site.services)
    assert {(r.kiosk_id, r.service, r.first) for r in rows} == {
        (k, b.service, b.first) for k, r in got.items() for b in r.blocks
    }


# ---------------------------------------------------------------------- online numbering


def test_online_numbers_skip_the_reserve_zone(office: Office) -> None:
    with office.db.write() as s:
        s.add(CounterRow(site="gialoc", service="tp", day=DAY0, last_seq=497))
    got = [office.issue("tp").number for _ in range(4)]
    assert got == ["A498", "A499", "A560", "A561"]
    assert office.issue("dd").number == "B001"  # other services count on their own
    with office.db.read() as s:
        counter = s.get(CounterRow, ("gialoc", "tp", DAY0))
        assert counter is not None and counter.last_seq == 561


def test_no_kiosks_no_zone(migrated_db: Database) -> None:
    site = make_site()
    data_site = site.model_copy(update={"devices": [d for d in site.devices if d.kind != "kiosk"]})
    assert data_site.reserve_zone[1] < data_site.reserve_zone[0]
    o = Office(data_site, migrated_db)
    with o.db.write() as s:
        s.add(CounterRow(site="gialoc", service="tp", day=DAY0, last_seq=499))
    assert o.issue("tp").number == "A500"


# ---------------------------------------------------------------------- merging


def test_offline_tickets_merge_in_issue_time_order(office: Office) -> None:
    reserve(office, "kiosk-1")  # tp 500–529
    reserve(office, "kiosk-2")  # tp 530–559
    office.open("q1")
    online_1 = office.issue("tp").number  # 09:00
    office.clock.advance(minutes=10)
    online_2 = office.issue("tp").number  # 09:10
    office.clock.advance(minutes=10)  # 09:20: the kiosks' links come back
    early = offline("kiosk-1", "A500", T0 - timedelta(minutes=5))  # 08:55
    middle = offline("kiosk-2", "A530", T0 + timedelta(minutes=5))  # 09:05
    # Kiosk clock 1 h ahead: it must not jump the queue — it waits from its arrival.
    ahead = offline("kiosk-1", "A501", office.clock() + timedelta(hours=1))
    for kiosk, t in (("kiosk-2", middle), ("kiosk-1", ahead), ("kiosk-1", early)):
        row = merge(office, kiosk, t)
        assert row.offline and row.state == "issued" and row.kiosk_id == kiosk
        assert office.changes.services == {"tp"}
    assert office.ticket(ahead.ticket_id).issued_at == office.clock()
    assert office.ticket(early.ticket_id).issued_at == early.issued_at
    assert office.events(early.ticket_id) == ["issued"]
    order = []
    while (t := office.call_next("q1")) is not None:
        order.append(t.number)
        office.act("done", "q1")
    assert order == ["A500", online_1, "A530", online_2, "A501"]
    assert office.queue_state("tp").waiting == 0


def test_numbers_outside_the_kiosks_own_block_are_refused(office: Office) -> None:
    reserve(office, "kiosk-1")  # 500–529
    reserve(office, "kiosk-2")  # 530–559
    at = office.clock()
    for kiosk, number, service in [
        ("kiosk-1", "A530", "tp"),  # kiosk-2's block
        ("kiosk-1", "A560", "tp"),  # past the zone
        ("kiosk-1", "A001", "tp"),  # an online number
        ("kiosk-1", "A0505", "tp"),  # not written the server's way
        ("kiosk-1", "B505", "tp"),  # another service's prefix
    ]:
        with refused("not_in_reserve"):
            merge(office, kiosk, offline(kiosk, number, at, service))
    with refused("not_in_reserve"):  # no block allocated for that day
        merge(office, "kiosk-1", offline("kiosk-1", "A505", at, day=DAY0 - timedelta(days=3)))
    with refused("unknown_service"):
        merge(office, "kiosk-1", offline("kiosk-1", "A505", at, service="zz"))
    with refused("unknown_priority"):
        merge(office, "kiosk-1", offline("kiosk-1", "A505", at, priority="vip"))
    assert office.tickets() == []


def test_the_same_ticket_is_stored_once(office: Office) -> None:
    reserve(office, "kiosk-1")
    t = offline("kiosk-1", "A505", office.clock())
    merge(office, "kiosk-1", t)
    with refused("duplicate_ticket"):  # same ticket id
        merge(office, "kiosk-1", offline("kiosk-1", "A506", t.issued_at, ticket_id=t.ticket_id))
    with refused("duplicate_ticket"):  # same number that day, another ticket id
        merge(office, "kiosk-1", offline("kiosk-1", "A505", t.issued_at))
    assert [x.number for x in office.tickets()] == ["A505"]


def test_a_ticket_of_an_earlier_day_is_kept_but_not_queued(office: Office) -> None:
    reserve(office, "kiosk-1")
    issued = office.clock() + timedelta(hours=2)
    office.clock.advance(days=1)  # delivered the next morning
    t = offline("kiosk-1", "A507", issued)
    row = merge(office, "kiosk-1", t)
    assert row.state == "cancelled" and row.offline and row.day == DAY0
    assert row.issued_at == issued and row.ended_at == office.clock()
    assert office.events(t.ticket_id) == ["issued", "cancelled"]
    assert office.queue_state("tp").waiting == 0


# ---------------------------------------------------------------------- publishing


def test_a_new_day_publishes_every_kiosks_new_reserve(
    site: SiteConfig, sqlite_db: Database
) -> None:
    clock = Clock()
    publisher = StatePublisher(site, sqlite_db, QueueEngine(site, clock=clock), None)
    seen: list[tuple[str, Any]] = []
    publisher.listeners.append(lambda topic, message: seen.append((topic, message)))
    publisher._check_day()
    publisher.flush()
    assert seen == []  # the same day: nothing to do
    clock.advance(days=1)
    publisher._check_day()
    publisher.flush()
    reserves = {t: m for t, m in seen if isinstance(m, ReserveBlocks)}
    assert set(reserves) == {site.topics.kiosk_reserve(k) for k in site.kiosk_ids}
    assert {m.day for m in reserves.values()} == {DAY0 + timedelta(days=1)}
    assert any(t == site.topics.queue("tp") for t, _ in seen)  # queues start again too
