"""Kiosks issuing numbers while the server is unreachable (issue 4, part 3), through a
real broker and database.

The server gives every kiosk a retained ``kiosk/{id}/reserve``: one block of reserve
numbers per service for today, plus the catalogue. Online numbering skips the reserve
zone. Tickets a kiosk issued offline arrive later through its durable outbox
(``kiosk/{id}/ticket/offline``); the server checks they come from that kiosk's own
block, stores each once, receipts them (accepted or refused for good, so the outbox
empties) and merges them into the queue in issue-time order.
"""

from __future__ import annotations

import queue
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from protocol.link import MqttLink
from protocol.messages import OfflineTicket, ReserveBlocks
from protocol.mqtt.message import Message
from server.db.tables import CounterRow, ProcessedMessageRow, TicketEventRow, TicketRow
from server.readmodels.queue_state import queue_state
from server.runtime import ServerRuntime
from server.timeutil import day_bounds_utc
from tests.support.devices import Watcher, device_link, now, request_ticket, started
from tests.support.http import act, login
from tests.support.services import Broker
from tests.support.waiting import eventually

WAIT_S = 10.0


def kiosk_with_reserve(
    server: ServerRuntime, broker: Broker, kiosk_id: str, outbox_dir: Path
) -> tuple[MqttLink, queue.Queue[ReserveBlocks]]:
    """A kiosk's own link (durable outbox) subscribed to its retained reserve."""
    link = device_link(server.config, broker, kiosk_id, outbox_dir)
    got: queue.Queue[ReserveBlocks] = queue.Queue()

    def on_reserve(msg: Message) -> None:
        got.put(ReserveBlocks.model_validate_json(msg.payload))

    link.subscribe(link.topics.kiosk_reserve(kiosk_id), on_reserve)
    return started(link), got


def next_reserve(got: queue.Queue[ReserveBlocks]) -> ReserveBlocks:
    return got.get(timeout=WAIT_S)


def block(reserve: ReserveBlocks, service: str = "tp") -> tuple[str, int, int]:
    b = next(b for b in reserve.blocks if b.service == service)
    return b.prefix, b.first, b.last


def offline(
    kiosk_id: str, number: str, issued_at: datetime, day: Any, service: str = "tp", **kw: Any
) -> OfflineTicket:
    return OfflineTicket(
        device_id=kiosk_id,
        sent_at=now(),
        ticket_id=kw.pop("ticket_id", None) or uuid.uuid4(),
        number=number,
        service=service,
        issued_at=issued_at,
        day=day,
        **kw,
    )


def drained(link: MqttLink) -> None:
    """Every event of the kiosk's outbox was receipted by the server."""
    eventually(lambda: link.outbox_depth() == 0, f"{link.device_id}'s outbox to empty", WAIT_S)


def tickets(server: ServerRuntime, *where: Any) -> list[TicketRow]:
    with server.db.read() as s:
        return list(s.scalars(select(TicketRow).where(*where).order_by(TicketRow.issued_at)))


# ----------------------------------------------------------------------------- (a)


def test_kiosks_get_their_reserve_and_online_numbers_skip_the_zone(
    server: ServerRuntime, broker: Broker, tmp_path: Path
) -> None:
    site = server.config
    k1, got1 = kiosk_with_reserve(server, broker, "kiosk-1", tmp_path)
    k2, got2 = kiosk_with_reserve(server, broker, "kiosk-2", tmp_path)
    try:
        r1, r2 = next_reserve(got1), next_reserve(got2)
        today = server.engine.today()
        for kiosk_id, r in (("kiosk-1", r1), ("kiosk-2", r2)):
            assert r.kiosk_id == kiosk_id and r.day == today
            assert [(b.service, b.prefix) for b in r.blocks] == [
                (s.code, s.prefix) for s in site.services
            ]
            assert all(b.last - b.first + 1 == site.offline.block_size for b in r.blocks)
            # The catalogue: enough for a kiosk started while the server is down.
            assert r.office_name == site.site.name and r.public_url == site.site.public_url
            assert [(s.code, s.name, s.prefix) for s in r.services] == [
                (s.code, s.name, s.prefix) for s in site.services
            ]
            assert [p.code for p in r.priorities] == [p.code for p in site.priorities]
        zone_first, zone_last = site.reserve_zone
        for b1, b2 in zip(r1.blocks, r2.blocks, strict=True):
            ranges = sorted([(b1.first, b1.last), (b2.first, b2.last)])
            assert ranges[0][1] < ranges[1][0], "two kiosks share reserve numbers"
            assert zone_first <= ranges[0][0] and ranges[1][1] <= zone_last

        # Online numbering jumps over the zone.
        with server.db.write() as s:
            s.add(CounterRow(site=site.site.code, service="tp", day=today, last_seq=zone_first - 2))
        numbers = []
        for _ in range(3):
            resp = request_ticket(k1, "tp")
            assert resp.ok and resp.ticket is not None, resp
            numbers.append(resp.ticket.number)
        assert numbers == [f"A{zone_first - 1}", f"A{zone_last + 1}", f"A{zone_last + 2}"]
    finally:
        k1.stop()
        k2.stop()


# ----------------------------------------------------------------------------- (b)


def test_offline_tickets_join_the_queue_in_issue_time_order(
    server: ServerRuntime, broker: Broker, api: TestClient, tmp_path: Path
) -> None:
    site = server.config
    topics = site.topics
    watch = Watcher(site, broker, f"{topics.root}/queue/tp")
    kiosk, got = kiosk_with_reserve(server, broker, "kiosk-1", tmp_path)
    try:
        prefix, first, _last = block(next_reserve(got))
        today = server.engine.today()
        a = request_ticket(kiosk, "tp").ticket
        time.sleep(0.05)  # not a wait: b is issued measurably later than a
        b = request_ticket(kiosk, "tp").ticket
        assert a is not None and b is not None
        # Issued while the kiosk had lost the server: before A001, between A001 and A002,
        # and one from a kiosk whose clock runs an hour ahead (it must not jump the queue).
        early = offline("kiosk-1", f"{prefix}{first}", a.issued_at - timedelta(minutes=10), today)
        between = offline(
            "kiosk-1", f"{prefix}{first + 1}", a.issued_at + (b.issued_at - a.issued_at) / 2, today
        )
        ahead = offline("kiosk-1", f"{prefix}{first + 2}", now() + timedelta(hours=1), today)
        for t in (ahead, between, early):
            kiosk.publish_event(topics.ticket_offline("kiosk-1"), t)
        drained(kiosk)
        watch.wait_for(lambda t, d: d.get("waiting") == 5)

        clerk = login(api, server, "lan", "clerk", "c01")
        assert act(api, clerk, "q1", "open").status_code == 200
        called = []
        for _ in range(5):
            r = act(api, clerk, "q1", "call-next")
            assert r.status_code == 200, r.text
            called.append((r.json()["ticket"]["number"], r.json()["ticket"]["offline"]))
            assert act(api, clerk, "q1", "done").status_code == 200
        assert called == [
            (early.number, True),
            (a.number, False),
            (between.number, True),
            (b.number, False),
            (ahead.number, True),
        ]
        row = tickets(server, TicketRow.id == ahead.ticket_id)[0]
        assert row.issued_at < ahead.issued_at - timedelta(minutes=50)  # clamped to arrival
        with server.db.read() as s:
            data = s.scalar(
                select(TicketEventRow.data).where(
                    TicketEventRow.ticket_id == early.ticket_id, TicketEventRow.kind == "issued"
                )
            )
        assert data is not None and data["offline"] is True and data["kiosk_id"] == "kiosk-1"
    finally:
        kiosk.stop()
        watch.stop()


# ----------------------------------------------------------------------------- (c), (d)


def test_replays_and_duplicates_count_once(
    server: ServerRuntime, broker: Broker, tmp_path: Path
) -> None:
    site = server.config
    topics = site.topics
    rejected = Watcher(site, broker, f"{topics.root}/server/rejected")
    kiosk, got = kiosk_with_reserve(server, broker, "kiosk-1", tmp_path)
    try:
        prefix, first, _last = block(next_reserve(got))
        today = server.engine.today()
        t = offline("kiosk-1", f"{prefix}{first + 5}", now(), today)
        kiosk.publish_event(topics.ticket_offline("kiosk-1"), t)
        drained(kiosk)
        # The outbox replays it (same msg_id), then the kiosk sends it again as a new event
        # (new msg_id) with the same ticket id, and another ticket with the same number.
        same_id = offline("kiosk-1", f"{prefix}{first + 6}", now(), today, ticket_id=t.ticket_id)
        same_number = offline("kiosk-1", t.number, now(), today)
        expected = {t.msg_id: "duplicate"}
        expected |= {same_id.msg_id: "duplicate_ticket", same_number.msg_id: "duplicate_ticket"}
        for event in (t, same_id, same_number):
            kiosk.publish_event(topics.ticket_offline("kiosk-1"), event)
        drained(kiosk)
        for msg_id, reason in expected.items():
            _, report = rejected.wait_for(lambda _t, d, m=msg_id: d.get("msg_id") == str(m))
            assert report["reason"] == reason, report
        stored = tickets(server, TicketRow.offline.is_(True))
        assert [(x.id, x.number) for x in stored] == [(t.ticket_id, t.number)]
        with server.db.read() as s:
            processed = s.scalar(
                select(func.count())
                .select_from(ProcessedMessageRow)
                .where(ProcessedMessageRow.kind == "offline_ticket")
            )
        assert processed == 1
    finally:
        kiosk.stop()
        rejected.stop()


def test_numbers_outside_the_kiosks_block_are_refused_and_receipted(
    server: ServerRuntime, broker: Broker, tmp_path: Path
) -> None:
    site = server.config
    topics = site.topics
    rejected = Watcher(site, broker, f"{topics.root}/server/rejected")
    kiosk, got = kiosk_with_reserve(server, broker, "kiosk-1", tmp_path)
    other, got2 = kiosk_with_reserve(server, broker, "kiosk-2", tmp_path)
    try:
        prefix, first, last = block(next_reserve(got))
        _, other_first, _ = block(next_reserve(got2))
        today = server.engine.today()
        bad = [
            offline("kiosk-1", f"{prefix}{other_first}", now(), today),  # kiosk-2's block
            offline("kiosk-1", f"{prefix}{site.reserve_zone[1] + 1}", now(), today),  # past it
            offline("kiosk-1", f"{prefix}001", now(), today),  # an online number
            offline("kiosk-1", f"B{first}", now(), today),  # another service's prefix
        ]
        assert not first <= other_first <= last
        for event in bad:
            kiosk.publish_event(topics.ticket_offline("kiosk-1"), event)
        drained(kiosk)  # refused for good is receipted too: the outbox does not resend
        for event in bad:
            _, report = rejected.wait_for(lambda _t, d, m=event.msg_id: d.get("msg_id") == str(m))
            assert report["reason"] == "not_in_reserve", report
            assert report["device_id"] == "kiosk-1" and report["detail"]
        assert tickets(server) == []
    finally:
        kiosk.stop()
        other.stop()
        rejected.stop()


# ----------------------------------------------------------------------------- (e)


def test_a_ticket_delivered_after_its_day_is_kept_but_not_queued(
    server: ServerRuntime, broker: Broker, tmp_path: Path
) -> None:
    site = server.config
    topics = site.topics
    yesterday = server.engine.today() - timedelta(days=1)
    with server.db.write() as s:  # what the server handed out yesterday morning
        reserve = server.engine.reserve_blocks(s, "kiosk-1", yesterday)
    prefix, first, _ = block(reserve)
    kiosk, _got = kiosk_with_reserve(server, broker, "kiosk-1", tmp_path)
    try:
        issued = day_bounds_utc(yesterday, site.tz)[0] + timedelta(hours=15)  # 15:00 local
        t = offline("kiosk-1", f"{prefix}{first + 3}", issued, yesterday)
        kiosk.publish_event(topics.ticket_offline("kiosk-1"), t)
        drained(kiosk)
        eventually(lambda: tickets(server), "the late ticket to be stored", WAIT_S)
        (row,) = tickets(server)
        assert (row.id, row.day, row.state, row.offline) == (
            t.ticket_id,
            yesterday,
            "cancelled",
            True,
        )
        assert row.issued_at == issued
        with server.db.read() as s:
            assert queue_state(server.engine, s, "tp").waiting == 0
    finally:
        kiosk.stop()


# ----------------------------------------------------------------------------- (f)


def test_reserve_is_published_again_when_the_kiosk_comes_online(
    server: ServerRuntime, broker: Broker, tmp_path: Path
) -> None:
    topics = server.config.topics
    watch = Watcher(server.config, broker, topics.kiosk_reserve("kiosk-1"))
    try:
        watch.wait_for(lambda t, d: d.get("kiosk_id") == "kiosk-1")  # published at start-up
        before = len(watch.all())
        kiosk = started(device_link(server.config, broker, "kiosk-1", tmp_path))
        try:
            eventually(
                lambda: len(watch.all()) > before, "the reserve to be published again", WAIT_S
            )
        finally:
            kiosk.stop()
        firsts = {ReserveBlocks.model_validate(d).blocks[0].first for _, d in watch.all()}
        assert len(firsts) == 1, "republishing must not allocate new blocks"
    finally:
        watch.stop()
