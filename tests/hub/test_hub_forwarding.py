"""Two real offices bridged to a hub; two hub workers; PostgreSQL (issue 16).

Each office is a real server with its own one-box Mosquitto, whose bridge carries the
office's committed facts over TLS to the hub Mosquitto; two ``motcua hub`` worker
processes share the stream into the hub's PostgreSQL. Office A's WAN goes through a TCP
proxy the test cuts: tickets and ratings made there during the cut reach the hub once
it is restored. A worker is killed mid-stream; then the hub broker restarts. Each time
the hub's rows end equal to each office's, one for one: no fact lost, none twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from protocol.link import MqttLink
from server.config import SiteConfig
from server.db.tables import (
    DeskEventRow,
    DeskRow,
    OfficeRow,
    RatingRow,
    RejectedMessageRow,
    TicketEventRow,
    TicketRow,
)
from server.runtime import ServerRuntime
from tests.support.devices import device_link, rating, request_ticket, started
from tests.support.hub import Hub, make_hub, office_site
from tests.support.services import Broker, create_pg_database
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import eventually

WAIT_S = 90.0


@dataclass(frozen=True)
class Clerk:
    clerk_id: str
    role: str = "clerk"


@dataclass
class Office:
    code: str
    rt: ServerRuntime
    kiosk: MqttLink
    pad: MqttLink

    def visits(self, n: int, rate: int) -> None:
        """``n`` citizens take a number of ``tp``; the next ``rate`` waiting are served
        at q1 (with a dossier code) and rate the clerk on its pad."""
        for _ in range(n):
            answer = request_ticket(self.kiosk, "tp")
            assert answer.ticket is not None, answer.refusal
        clerk = Clerk("c01")
        expected = self.ratings_count() + rate
        for _ in range(rate):
            called = self.rt.desks.call_next(clerk, "q1").ticket
            assert called is not None
            self.rt.desks.start(clerk, "q1")
            self.rt.desks.done(clerk, "q1", dossier_code=f"H-{called.number}")
            topic = self.kiosk.topics.desk_rating("q1")
            self.pad.publish(topic, rating("pad-q1", called.id, praised=["xin_chao"]))
        eventually(lambda: self.ratings_count() >= expected, timeout=WAIT_S, what="ratings")

    def ratings_count(self) -> int:
        with self.rt.db.read() as s:
            return s.scalar(select(func.count()).select_from(RatingRow)) or 0


def _broker_of(rt: ServerRuntime) -> Broker:
    return Broker(kind="embedded", port=rt.port)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    pg = create_pg_database()
    rig = make_hub(tmp_path / "hub", pg, batch_wait_ms=20)
    try:
        yield rig
    finally:
        rig.stop()
        pg.drop()


def _start_office(hub: Hub, code: str, wan_port: int, tmp: Path) -> Office:
    site: SiteConfig = office_site(
        code,
        f"UBND xã {code}",
        hub,
        wan_port=wan_port,
        workdir=tmp / code,
        password_env=f"MOTCUA_HUB_PASSWORD_{code.upper().replace('-', '_')}",
        resend_after_s=3,
        pulse_every_s=1,
    )
    rt = ServerRuntime(site, heartbeat_s=1.0)
    rt.start()
    assert rt.wait_ready(30)
    broker = _broker_of(rt)
    kiosk = started(device_link(site, broker, "kiosk-1"), 30)
    pad = started(device_link(site, broker, "pad-q1"), 30)
    rt.desks.open(Clerk("c01"), "q1")
    return Office(code, rt, kiosk, pad)


def _stop_office(office: Office) -> None:
    office.kiosk.stop()
    office.pad.stop()
    office.rt.stop()


# What must be equal, office against hub, for one site.
def _ticket_states(s: Session, site: str) -> list[tuple[Any, ...]]:
    q = select(TicketRow.id, TicketRow.state, TicketRow.dossier_code, TicketRow.desk_id)
    return sorted(s.execute(q.where(TicketRow.site == site)).all())


def _events(s: Session, site: str, hub: bool) -> list[tuple[Any, ...]]:
    key = TicketEventRow.origin_id if hub else TicketEventRow.id
    q = select(key, TicketEventRow.ticket_id, TicketEventRow.kind)
    return sorted(s.execute(q.where(TicketEventRow.site == site)).all())


def _desk_events(s: Session, site: str, hub: bool) -> list[tuple[Any, ...]]:
    key = DeskEventRow.origin_id if hub else DeskEventRow.id
    q = select(key, DeskEventRow.desk_id, DeskEventRow.kind)
    return sorted(s.execute(q.where(DeskEventRow.site == site)).all())


def _ratings(s: Session, site: str) -> list[tuple[Any, ...]]:
    q = select(RatingRow.msg_id, RatingRow.ticket_id, RatingRow.level, RatingRow.praised)
    return sorted(
        (m, t, lv, tuple(p)) for m, t, lv, p in s.execute(q.where(RatingRow.site == site))
    )


def _desks(s: Session, site: str) -> list[tuple[Any, ...]]:
    """What the drill-down shows of each desk: open, paused, who, the number in hand."""
    d = DeskRow
    q = select(d.desk_id, d.open, d.paused, d.clerk_id, d.ticket_id, d.rating_ticket_id)
    return sorted(s.execute(q.where(d.site == site)).all())


def _snapshot(db: Any, site: str, hub: bool) -> dict[str, Any]:
    with db.read() as s:
        return {
            "tickets": _ticket_states(s, site),
            "events": _events(s, site, hub),
            "desk_events": _desk_events(s, site, hub),
            "ratings": _ratings(s, site),
            "desks": _desks(s, site),
        }


def _same(office: Office, hub: Hub) -> bool:
    return _snapshot(office.rt.db, office.code, False) == _snapshot(hub.db, office.code, True)


def _hub_count(hub: Hub, site: str) -> int:
    with hub.db.read() as s:
        q = select(func.count()).select_from(TicketEventRow).where(TicketEventRow.site == site)
        return s.scalar(q) or 0


def _backlog(hub: Hub, code: str) -> int | None:
    row = _office_row(hub, code)
    if row is None or row.pulse is None:
        return None
    return sum(row.pulse["backlog"].values())


def _office_row(hub: Hub, code: str) -> OfficeRow | None:
    with hub.db.read() as s:
        return s.get(OfficeRow, code)


def test_two_offices_reach_the_hub_through_a_wan_cut_a_killed_worker_and_a_broker_restart(
    hub: Hub, tmp_path: Path
) -> None:
    hub.add_office("xa-an", "UBND xã An", "Cụm Bắc")
    hub.add_office("xa-binh", "UBND xã Bình", "Cụm Nam")
    hub.start_broker()
    hub.start_worker("w1")
    hub.start_worker("w2")
    wan_a = TcpProxy(hub.config.broker.wan.port)
    a = _start_office(hub, "xa-an", wan_a.port, tmp_path)
    b = _start_office(hub, "xa-binh", hub.config.broker.wan.port, tmp_path)
    try:
        # both bridges connect over TLS and say so; both offices' pulses arrive
        for code in ("xa-an", "xa-binh"):
            eventually(
                lambda c=code: (
                    (r := _office_row(hub, c)) is not None
                    and r.link_up is True
                    and r.pulse_at is not None
                ),
                timeout=WAIT_S,
                what=f"{code} at the hub",
            )
        a.visits(6, rate=4)
        b.visits(6, rate=4)
        eventually(lambda: _same(a, hub) and _same(b, hub), timeout=WAIT_S)

        # office A loses its WAN: the hub sees the bridge's Last Will; A keeps serving
        wan_a.cut()
        eventually(
            lambda: (r := _office_row(hub, "xa-an")) is not None and r.link_up is False,
            timeout=WAIT_S,
        )
        a.visits(30, rate=20)
        b.visits(5, rate=3)
        assert not _same(a, hub), "A's facts made during the cut cannot be at the hub yet"
        before = _hub_count(hub, "xa-an")

        # the WAN comes back: A's backlog streams in; a worker is killed in the middle
        wan_a.restore()
        eventually(
            lambda: _hub_count(hub, "xa-an") > before, timeout=WAIT_S, what="A's backlog arriving"
        )
        hub.kill_worker("w1")
        b.visits(5, rate=4)
        eventually(
            lambda: _same(a, hub) and _same(b, hub),
            timeout=WAIT_S,
            what="the hub's rows equal to the offices'",
        )
        # the hub's counts by site, exactly the offices' (no duplicates anywhere)
        for office in (a, b):
            snap = _snapshot(hub.db, office.code, True)
            assert len(snap["ratings"]) == office.ratings_count()
            assert len({k for k, *_ in snap["events"]}) == len(snap["events"])
        with hub.db.read() as s:
            refused = s.scalars(select(RejectedMessageRow)).all()
            assert not refused, [(r.topic, r.reason, r.detail) for r in refused]
        # the offices' pulses say nothing is left to send
        for code in ("xa-an", "xa-binh"):
            eventually(lambda c=code: _backlog(hub, c) == 0, timeout=WAIT_S, what="backlog 0")
        row = _office_row(hub, "xa-an")
        assert row is not None and row.link_up is True and row.config is not None
        assert row.config["site"]["name"] == "UBND xã xa-an"
        assert "password_hash" not in str(row.config)
    finally:
        for office in (a, b):
            _stop_office(office)
        wan_a.close()
