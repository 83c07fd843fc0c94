"""An attacker on the office LAN against the broker.

Every attack runs against both shapes a site can have:

* ``onebox``: the default install — `motcua server` with ``server.broker.embedded``, which
  starts and supervises its own Mosquitto (the attacker does not know the server's
  password: it is random at every start);
* ``production``: Mosquitto started from the files ``motcua broker-config write`` makes,
  and the server connecting to it.

Each test fails if the attack succeeds, and checks what a user would notice: the server
still answers a kiosk, no forged message reaches anyone, the broker did not grow.
The attacker speaks MQTT with hand-made packets (`tests.support.raw_mqtt`): no client
library reconnects for it or refuses to send what a broker should refuse.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from protocol.link import MqttLink
from protocol.messages import DeskRating, ReserveBlocks, ServerStatus
from server.app import create_app
from server.config import SiteConfig, parse_site_config
from server.db.tables import RatingRow, RejectedMessageRow
from server.runtime import ServerRuntime
from tests.conftest import make_runtime
from tests.support.devices import Watcher, device_link, now, request_ticket, started
from tests.support.http import act, login
from tests.support.raw_mqtt import (
    publish_header,
    raw_connect,
    subscribe_packet,
)
from tests.support.services import Broker, free_port, sqlite_url, start_mosquitto
from tests.support.sites import device_password, site_data

WAIT_S = 20.0
MARK = "forged-by-an-attacker"


@dataclass
class Target:
    """A running site: its server, where devices connect, and the broker's process."""

    kind: str
    rt: ServerRuntime
    broker: Broker
    broker_pid: int
    api: TestClient

    @property
    def site(self) -> SiteConfig:
        return self.rt.config

    def health(self) -> dict[str, Any]:
        return self.api.get("/api/health").json()


def _site(tmp: Path, embedded: bool) -> SiteConfig:
    data = site_data()
    data["server"]["data_dir"] = str(tmp / "var")
    data["server"]["database_url"] = sqlite_url(tmp)
    data["server"]["broker"].update(embedded=embedded, bind="127.0.0.1", port=free_port())
    return parse_site_config(data, "attack-site")


@pytest.fixture(params=["onebox", "production"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    if request.param == "onebox":
        site = _site(tmp_path, embedded=True)
        rt = ServerRuntime(site, heartbeat_s=1.0)
        rt.start()
        assert rt.wait_ready(WAIT_S), "the one-box server did not come up"
        assert rt.broker is not None and rt.broker.pid is not None
        # What devices know: where the broker is. Not the server's password.
        broker = Broker(kind="onebox", port=rt.port, server_password="")
        pid = rt.broker.pid
        stop: Callable[[], None] = lambda: None  # noqa: E731 — the runtime stops its broker
    else:
        site = _site(tmp_path, embedded=False)
        mosquitto = start_mosquitto(site, tmp_path / "mosquitto")
        rt = make_runtime(site, site.server.database_url, mosquitto)
        assert mosquitto.proc is not None
        broker, pid, stop = mosquitto, mosquitto.proc.pid, mosquitto.stop
    try:
        with TestClient(create_app(rt)) as api:
            yield Target(request.param, rt, broker, pid, api)
    finally:
        rt.stop()
        stop()


def attacker(t: Target, client_id: str, user: str | None, password: str | None, **kw: Any):
    return raw_connect(t.broker.host, t.broker.port, client_id, user, password, **kw)


def served_a_ticket(t: Target, kiosk: MqttLink) -> str:
    """The user-visible proof that the site works: a kiosk gets a number."""
    resp = request_ticket(kiosk, "tp", timeout=WAIT_S)
    assert resp.ok and resp.ticket is not None, resp
    return resp.ticket.number


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


# ----------------------------------------------------------------------------- 1. takeover


def test_client_id_takeover_cuts_off_neither_the_server_nor_a_device(
    target: Target, tmp_path: Path
) -> None:
    """Without a password, or with another device's, nobody can take the server's or a
    kiosk's session: the server keeps answering the kiosk, neither link drops."""
    site = target.site
    kiosk = device_link(site, target.broker, "kiosk-1", tmp_path)
    kiosk_drops: list[str] = []
    kiosk.on_disconnected(kiosk_drops.append)
    started(kiosk)
    try:
        served_a_ticket(target, kiosk)
        server_ids = [f"motcua-server-{site.site.code}", site.server.broker.username]
        attempts = [
            *[(cid, None, None, True) for cid in server_ids],  # anonymous, clean session
            *[(cid, None, None, False) for cid in server_ids],
            ("kiosk-1", None, None, True),
            ("kiosk-1", None, None, False),
            ("kiosk-1", "kiosk-1", "wrong-password", True),
            (server_ids[0], "server", "wrong-password", True),
        ]
        for cid, user, password, clean in attempts:
            conn = attacker(target, cid, user, password, clean=clean)
            assert conn.connack != 0, f"{cid!r} as {user!r}: the broker let it in"
            conn.close()
        # With a real device's password, asking for the server's or a kiosk's id:
        for cid in [*server_ids, "kiosk-1"]:
            conn = attacker(target, cid, "pad-q1", device_password("pad-q1"), clean=True)
            assert conn.connack == 0, "pad-q1 may log in (as itself)"
            conn.close()

        number = served_a_ticket(target, kiosk)
        assert number
        report = target.rt.link_report()
        assert report is not None and report.disconnects == 0, report
        assert kiosk_drops == [], f"the kiosk was knocked off: {kiosk_drops}"
        assert target.health()["status"] == "ok"
    finally:
        kiosk.stop()


# ----------------------------------------------------------------------------- 2. Last Will


def _done_at(t: Target, desk: str, clerk_id: str, kiosk: MqttLink) -> uuid.UUID:
    """A ticket served to the end at ``desk``: a rating for it would be accepted."""
    resp = request_ticket(kiosk, "tp", timeout=WAIT_S)
    assert resp.ticket is not None
    clerk = login(t.api, t.rt, f"clerk-{clerk_id}", "clerk", clerk_id)
    assert act(t.api, clerk, desk, "open").status_code == 200
    for action, body in (("call-number", {"number": resp.ticket.number}), ("start", {})):
        r = act(t.api, clerk, desk, action, **body)
        assert r.status_code == 200, r.text
    assert act(t.api, clerk, desk, "done").status_code == 200
    return resp.ticket.ticket_id


def test_a_last_will_reaches_no_topic_its_device_may_not_publish(
    target: Target, tmp_path: Path
) -> None:
    """With only pad-q1's password, Last Wills aimed at another desk's ratings, the
    server's status, another device's status, a kiosk's reserve, the board and a kiosk's
    ticket answers all die at the broker. The pad's Will on its own status (the
    positive control, sent last) does arrive."""
    site = target.site
    topics = site.topics
    kiosk = started(device_link(site, target.broker, "kiosk-1", tmp_path))
    monitor = Watcher(site, target.broker, f"{topics.root}/#")
    try:
        ticket_q2 = _done_at(target, "q2", "c02", kiosk)
        forged_rating = DeskRating(
            device_id="pad-q2",
            sent_at=now(),
            ticket_id=ticket_q2,
            level="dissatisfied",
            reasons=["xin_chao"],
        )
        fake = json.dumps({"schema": 1, "mark": MARK}).encode()
        wills = [
            (topics.desk_rating("q2"), forged_rating.to_json(), False),
            (topics.server_status(), fake, True),
            (topics.device_status("pad-q2"), fake, True),
            (topics.kiosk_reserve("kiosk-1"), fake, True),
            (topics.board_call(), fake, False),
            (topics.ticket_response("kiosk-1"), fake, False),
        ]
        for topic, payload, retain in wills:
            conn = attacker(
                target,
                "pad-q1",
                "pad-q1",
                device_password("pad-q1"),
                will=(topic, payload, 1, retain),
                clean=True,
            )
            if conn.connack == 0:
                conn.close()  # no DISCONNECT: the broker must decide about the Will now
        control = json.dumps({"schema": 1, "mark": "the-pad-own-will"}).encode()
        conn = attacker(
            target,
            "pad-q1",
            "pad-q1",
            device_password("pad-q1"),
            will=(topics.device_status("pad-q1"), control, 1, False),
            clean=True,
        )
        assert conn.connack == 0
        conn.close()
        monitor.wait_for(lambda t, d: d.get("mark") == "the-pad-own-will", WAIT_S)
        served_a_ticket(target, kiosk)  # one more round trip through the server

        leaked = [t for t, d in monitor.all() if d.get("mark") == MARK]
        assert leaked == [], f"forged Wills reached {leaked}"
        with target.rt.db.read() as s:
            assert s.scalars(select(RatingRow).where(RatingRow.ticket_id == ticket_q2)).all() == []
            refused = s.scalars(select(RejectedMessageRow.msg_id)).all()
        assert str(forged_rating.msg_id) not in refused, "the server should never see it"
        # A device arriving now reads the server's retained messages, not forgeries.
        fresh = Watcher(site, target.broker, f"{topics.root}/server/status", "monitor-1")
        try:
            _, status = fresh.wait_for(lambda t, d: t == topics.server_status())
            assert ServerStatus.model_validate(status).boot_id == target.rt.boot_id
        finally:
            fresh.stop()
        reserve = Watcher(site, target.broker, topics.kiosk_reserve("kiosk-1"), "monitor-1")
        try:
            _, blocks = reserve.wait_for(lambda t, d: t == topics.kiosk_reserve("kiosk-1"))
            assert ReserveBlocks.model_validate(blocks).kiosk_id == "kiosk-1"
        finally:
            reserve.stop()
    finally:
        monitor.stop()
        kiosk.stop()


# ----------------------------------------------------------------------------- 3. retained


@pytest.mark.parametrize("clean", [True, False], ids=["clean", "persistent"])
def test_a_device_that_subscribes_to_nothing_receives_nothing(
    target: Target, tmp_path: Path, clean: bool
) -> None:
    """Retained state of every desk, queue and device is on the broker and others are
    subscribed to it; a kiosk that connects gets nothing until it subscribes, and then
    only the topic it asked for."""
    site = target.site
    topics = site.topics
    kiosk = started(device_link(site, target.broker, "kiosk-1", tmp_path))
    monitor = Watcher(site, target.broker, f"{topics.root}/#")  # a wide subscriber exists
    try:
        served_a_ticket(target, kiosk)
        monitor.wait_for(lambda t, d: t == topics.queue("tp") and d.get("waiting") == 1)
        conn = attacker(target, "kiosk-2", "kiosk-2", device_password("kiosk-2"), clean=clean)
        assert conn.connack == 0
        try:
            conn.send(subscribe_packet(1, topics.queue("tp")))
            before_suback = []
            while (packet := conn.read(WAIT_S)).type != 9:  # SUBACK
                before_suback.append(packet)
            assert before_suback == [], (
                "the broker sent messages nobody asked for: "
                f"{[p.topic for p in before_suback if p.type == 3]}"
            )
            first = conn.read(WAIT_S)  # positive control: the retained queue state
            assert first.type == 3 and first.topic == topics.queue("tp")
            with pytest.raises(TimeoutError):
                extra = conn.read(0.5)
                raise AssertionError(f"unexpected {extra.type} on {extra.topic}")
        finally:
            conn.close()
    finally:
        monitor.stop()
        kiosk.stop()


# ----------------------------------------------------------------------------- 4. floods


@contextlib.contextmanager
def flood(t: Target, *args: str) -> Iterator[dict[str, int]]:
    """Run `tests.support.flood` against the broker; yields its report once in place."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.flood",
            args[0],
            t.broker.host,
            str(t.broker.port),
            *args[1:],
        ],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, "the flood process failed"
        yield json.loads(line)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(30)


def test_a_flood_of_idle_sockets_does_not_lock_devices_out(target: Target, tmp_path: Path) -> None:
    """1,000 TCP connections that never send CONNECT (twice the old broker's slots):
    a kiosk and a pad still connect, and the kiosk gets a number."""
    with flood(target, "idle", "1000") as report:
        assert report["open"] == 1000
        kiosk = started(device_link(target.site, target.broker, "kiosk-2", tmp_path), WAIT_S)
        pad = started(device_link(target.site, target.broker, "pad-q1", tmp_path), WAIT_S)
        try:
            served_a_ticket(target, kiosk)
        finally:
            kiosk.stop()
            pad.stop()
        assert target.health()["status"] == "ok"


def test_many_connections_with_one_password_leave_one_and_lock_nobody_out(
    target: Target, tmp_path: Path
) -> None:
    """600 connections made with pad-q1's password: the broker keeps only the newest, so
    they cannot fill anything; other devices connect and the server answers."""
    with flood(target, "login", "600", "pad-q1", device_password("pad-q1")) as report:
        assert report["accepted"] == 600, report
        assert report["alive"] <= 1, f"{report['alive']} connections of one account stay open"
        kiosk = started(device_link(target.site, target.broker, "kiosk-2", tmp_path), WAIT_S)
        try:
            served_a_ticket(target, kiosk)
        finally:
            kiosk.stop()


# ----------------------------------------------------------------------------- 5. size


def test_an_oversized_packet_is_refused_before_it_is_read(target: Target, tmp_path: Path) -> None:
    """Five 200 MB publishes from a kiosk's account: the broker drops each connection
    at the header, long before the body; neither the broker nor the server grows, and
    the site keeps working."""
    site = target.site
    kiosk = started(device_link(site, target.broker, "kiosk-2", tmp_path))
    try:
        served_a_ticket(target, kiosk)
        broker_before, server_before = rss_kib(target.broker_pid), rss_kib(os.getpid())
        chunk = b"x" * (1 << 20)
        for _ in range(5):
            conn = attacker(target, "kiosk-1", "kiosk-1", device_password("kiosk-1"))
            assert conn.connack == 0
            sent = 0
            with pytest.raises(OSError):  # reset or broken pipe: the broker hung up
                conn.send(publish_header(site.topics.kiosk_rating("kiosk-1"), 200 << 20))
                for _ in range(200):
                    conn.send(chunk)
                    sent += len(chunk)
            conn.close()
            assert sent < 64 << 20, f"the broker read {sent >> 20} MB before refusing"
        grew_broker = rss_kib(target.broker_pid) - broker_before
        grew_server = rss_kib(os.getpid()) - server_before
        assert grew_broker < 16 * 1024, f"the broker grew by {grew_broker} KiB"
        assert grew_server < 32 * 1024, f"the server grew by {grew_server} KiB"
        served_a_ticket(target, kiosk)
        assert target.health()["status"] == "ok"
    finally:
        kiosk.stop()
