"""Devices whose clocks are off (issue 15), through a real broker, server and database.

The server's heartbeat carries its time; a kiosk or pad measures its offset from it,
stamps every event with it and reports it in its health. The server judges the event's
times on its own clock (``sent_at + clock_offset_s``), so a kiosk 45 s off still gets
numbers and a pad minutes off still has its ratings stored, while a request that is
really too old is still refused; the dashboard warns about a clock more than 30 s off.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kiosk.config import KioskConfig
from kiosk.core import KioskCore
from protocol.conduct import RawLevel
from protocol.messages import OfflineTicket, TicketRequest, TicketResponse
from rating_pad.config import PadConfig
from rating_pad.core import PadCore
from server.db.tables import RatingRow, RejectedMessageRow, TicketRow
from server.readmodels.alerts import Alert, current_alerts
from server.runtime import ServerRuntime
from tests.integration.test_offline_tickets import (
    block,
    drained,
    kiosk_with_reserve,
    next_reserve,
    tickets,
)
from tests.support.devices import device_link, now, settings_for, started
from tests.support.http import act, login
from tests.support.services import Broker
from tests.support.waiting import eventually

WAIT_S = 10.0


def skewed(by_s: float) -> Callable[[], datetime]:
    return lambda: now() + timedelta(seconds=by_s)


@pytest.fixture
def devices() -> Iterator[list[KioskCore | PadCore]]:
    started_cores: list[KioskCore | PadCore] = []
    yield started_cores
    for core in started_cores:
        core.stop()


def synced(core: KioskCore | PadCore) -> None:
    """Wait until the device measured its offset from a heartbeat and is online."""
    eventually(lambda: core.clock_offset() is not None, "a heartbeat to arrive", WAIT_S)
    eventually(lambda: core.online, f"{core.config.device_id} online", WAIT_S)


def kiosk(
    server: ServerRuntime,
    broker: Broker,
    tmp_path: Path,
    devices: list[KioskCore | PadCore],
    skew_s: float,
    kiosk_id: str = "kiosk-1",
) -> KioskCore:
    site = server.config
    cfg = KioskConfig(
        device_id=kiosk_id,
        site=site.site.code,
        state_dir=tmp_path / kiosk_id,
        broker=settings_for(broker, site, kiosk_id),
    )
    core = KioskCore(cfg, clock=skewed(skew_s))
    core.start()
    devices.append(core)
    synced(core)
    eventually(lambda: bool(core.services()), "the kiosk's catalogue", WAIT_S)
    return core


def offset_on_dashboard(api: TestClient, server: ServerRuntime, device_id: str) -> Any:
    boss = login(api, server, "giamsat", "supervisor")
    r = api.get(f"/api/sites/{server.config.site.code}/devices", headers=boss)
    assert r.status_code == 200, r.text
    return next(d for d in r.json() if d["id"] == device_id)["clock_offset_s"]


def clock_alerts(server: ServerRuntime) -> list[Alert]:
    with server.db.read() as s:
        found = current_alerts(s, server.config, server.engine)
    return [a for a in found if a.kind == "clock_skew"]


@pytest.mark.parametrize("skew_s", [-45.0, 45.0])
def test_a_kiosk_45_s_off_gets_numbers_and_the_dashboard_warns(
    server: ServerRuntime,
    broker: Broker,
    api: TestClient,
    tmp_path: Path,
    devices: list[KioskCore | PadCore],
    skew_s: float,
) -> None:
    core = kiosk(server, broker, tmp_path, devices, skew_s)
    offset = core.clock_offset()
    assert offset is not None and abs(offset + skew_s) < 2

    issued = core.take_number("tp")
    assert not issued.offline, "the server refused the skewed kiosk's request"
    second = core.take_number("tp")
    assert not second.offline and second.number != issued.number

    core.report_health_now()
    eventually(
        lambda: (
            (o := offset_on_dashboard(api, server, "kiosk-1")) is not None and abs(o + skew_s) < 2
        ),
        "the offset in the devices API",
        WAIT_S,
    )
    [alert] = clock_alerts(server)
    assert alert.device_id == "kiosk-1" and alert.severity == "warning"
    assert alert.message == (
        "Đồng hồ của Ki-ốt lấy số sảnh chính lệch 45 giây so với máy chủ — "
        "kiểm tra đồng bộ giờ (NTP)"
    )
    assert alert.message_en.startswith("The clock of ")
    assert alert.message_en.endswith(" is 45 s off the server's — check time sync (NTP)")


def test_a_device_10_s_off_raises_no_alert(
    server: ServerRuntime,
    broker: Broker,
    api: TestClient,
    tmp_path: Path,
    devices: list[KioskCore | PadCore],
) -> None:
    core = kiosk(server, broker, tmp_path, devices, 10.0)
    assert not core.take_number("tp").offline
    core.report_health_now()
    eventually(
        lambda: (o := offset_on_dashboard(api, server, "kiosk-1")) is not None and abs(o + 10) < 2,
        "the offset in the devices API",
        WAIT_S,
    )
    assert clock_alerts(server) == []


@pytest.mark.parametrize("skew_s", [-180.0, 180.0])
def test_a_pad_3_minutes_off_still_has_its_rating_stored(
    server: ServerRuntime,
    broker: Broker,
    api: TestClient,
    tmp_path: Path,
    devices: list[KioskCore | PadCore],
    skew_s: float,
) -> None:
    site = server.config
    k = kiosk(server, broker, tmp_path, devices, 0.0)
    issued = k.take_number("tp")
    clerk = login(api, server, "lan", "clerk", "c01")
    for action in ("open", "call-next", "start", "done"):
        assert act(api, clerk, "q1", action).status_code == 200, action

    cfg = PadConfig(
        device_id="pad-q1",
        desk_id="q1",
        site=site.site.code,
        state_dir=tmp_path / "pad-q1",
        broker=settings_for(broker, site, "pad-q1"),
    )
    pad = PadCore(cfg, clock=skewed(skew_s))
    pad.start()
    devices.append(pad)
    synced(pad)
    # The pad compares the server's expires_at with the server's time, not its own.
    eventually(lambda: pad.to_rate() is not None, "the pad to ask for a rating", WAIT_S)
    to_rate = pad.to_rate()
    assert to_rate is not None and to_rate == (issued.ticket_id, issued.number)
    sent = pad.send_rating(issued.ticket_id, RawLevel.SATISFIED, [], [])

    def stored() -> RatingRow | None:
        with server.db.read() as s:
            return s.scalar(select(RatingRow).where(RatingRow.ticket_id == issued.ticket_id))

    eventually(lambda: stored() is not None or refused(server, sent.msg_id), "the rating", WAIT_S)
    assert not refused(server, sent.msg_id)
    row = stored()
    assert row is not None and row.level == "satisfied"
    # Stored on the server's clock: when it was given, not what the pad's clock said.
    assert abs((row.sent_at - row.received_at).total_seconds()) < 5


def refused(server: ServerRuntime, msg_id: uuid.UUID) -> str | None:
    with server.db.read() as s:
        row = s.scalar(select(RejectedMessageRow).where(RejectedMessageRow.msg_id == str(msg_id)))
        return row.reason if row is not None else None


def test_a_request_really_too_old_by_the_servers_clock_is_still_refused(
    server: ServerRuntime, broker: Broker, tmp_path: Path
) -> None:
    """A kiosk 45 s behind replays a request it made a minute ago: on the server's
    clock (its sent_at + its offset) it is 60 s old, over the 30 s limit."""
    link = started(device_link(server.config, broker, "kiosk-1"))
    try:
        ttl = server.config.calling.request_ttl_s
        req = TicketRequest(
            device_id="kiosk-1",
            sent_at=now() - timedelta(seconds=45 + 2 * ttl),
            clock_offset_s=45.0,
            service="tp",
        )
        topics = link.topics
        answer = link.request(
            topics.ticket_request("kiosk-1"),
            req,
            topics.ticket_response("kiosk-1"),
            TicketResponse,
            WAIT_S,
        )
        assert not answer.ok and answer.refusal is not None
        assert answer.refusal.code == "request_expired"
        # The same request made now, 45 s behind, with its offset: a number.
        fresh = TicketRequest(
            device_id="kiosk-1",
            sent_at=now() - timedelta(seconds=45),
            clock_offset_s=45.0,
            service="tp",
        )
        answer = link.request(
            topics.ticket_request("kiosk-1"),
            fresh,
            topics.ticket_response("kiosk-1"),
            TicketResponse,
            WAIT_S,
        )
        assert answer.ok and answer.ticket is not None
    finally:
        link.stop()


def test_an_offline_ticket_waits_from_its_issue_time_on_the_servers_clock(
    server: ServerRuntime, broker: Broker, tmp_path: Path
) -> None:
    """A kiosk 10 minutes behind issued a reserve number 2 minutes ago by the server's
    clock: it waits from then, not from 12 minutes ago (ahead of everyone)."""
    kiosk_link, got = kiosk_with_reserve(server, broker, "kiosk-1", tmp_path)
    try:
        prefix, first, _last = block(next_reserve(got))
        really_at = now() - timedelta(minutes=2)
        behind = really_at - timedelta(minutes=10)
        ticket = OfflineTicket(
            device_id="kiosk-1",
            sent_at=behind,
            clock_offset_s=600.0,
            ticket_id=uuid.uuid4(),
            number=f"{prefix}{first}",
            service="tp",
            issued_at=behind,
            day=server.engine.today(),
        )
        kiosk_link.publish_event(kiosk_link.topics.ticket_offline("kiosk-1"), ticket)
        drained(kiosk_link)
        [row] = tickets(server, TicketRow.id == ticket.ticket_id)
        assert abs((row.issued_at - really_at).total_seconds()) < 1
    finally:
        kiosk_link.stop()
