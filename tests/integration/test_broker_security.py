"""No anonymous broker access; per-device credentials and ACLs (DESIGN.md, "MQTT contract").

Against a real Mosquitto configured by ``motcua broker-config`` (the one-box broker runs
the same files; the attacks on both shapes are in ``test_broker_attacks.py``):

* connecting without an account, with a wrong password, or with another device's
  password is refused;
* a pad cannot get a rating into the server for another desk, a kiosk or pad cannot
  write the server's state topics, a kiosk cannot read another kiosk's ticket answers,
  and a pad reads only its own desk's state.

Mosquitto enforces some rules per message (it grants a subscription and filters what it
delivers; under MQTT 3.1.1 a forbidden publish is acknowledged and dropped), so the tests
assert what a client can observe. Every "must
not arrive" is proven against a positive control that arrives after it on the same path.

Plus unit tests of `server.broker.acl` and of the Mosquitto files
`server.broker.mosquitto_config` writes.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from protocol.messages import DeskState, QueueState, ReserveBlocks, TicketRequest
from server.broker.acl import (
    Rule,
    filter_covered,
    may_publish,
    may_subscribe,
    rules_for,
    topic_matches,
)
from server.broker.mosquitto_config import acl_text, password_lines, write_mosquitto
from server.config import SiteConfig, parse_site_config
from server.db.tables import RatingRow, RejectedMessageRow
from server.runtime import ServerRuntime
from tests.support.devices import Watcher, device_link, rating, request_ticket, started
from tests.support.http import act, login
from tests.support.services import Broker, sqlite_url
from tests.support.sites import _hash, device_password, site_data
from tests.support.waiting import eventually

# The ACLs are the subject: always on both brokers (Mosquitto, the one-box broker).
pytestmark = pytest.mark.matrix

WAIT_S = 10.0


@pytest.fixture
def site() -> SiteConfig:
    """The example site plus a second board: the broker keeps one connection per
    account, and one test needs two boards at once."""
    data = site_data()
    data["devices"].append(
        {"id": "board-2", "kind": "board", "password_hash": _hash(device_password("board-2"))}
    )
    return parse_site_config(data, "test-site")


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """SQLite only: these tests are about the broker, not the database."""
    yield sqlite_url(tmp_path)


# ----------------------------------------------------------------------------- raw client


class RawClient:
    """A bare paho client (MQTT 3.1.1) that records everything the broker tells it."""

    def __init__(
        self,
        broker: Broker,
        username: str | None,
        password: str | None = None,
        client_id: str | None = None,
    ) -> None:
        self.broker = broker
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"{username or 'anon'}-{uuid.uuid4().hex[:8]}",
            clean_session=True,
            protocol=mqtt.MQTTv311,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self._connack: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._messages: list[tuple[str, bytes, bool]] = []
        self._subacks: dict[int, list[Any]] = {}
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    # paho callbacks: record and hand off only.
    def _on_connect(self, c: mqtt.Client, u: Any, flags: Any, reason: Any, props: Any) -> None:
        self._connack.put(reason)

    def _on_disconnect(self, c: mqtt.Client, u: Any, flags: Any, reason: Any, props: Any) -> None:
        self._connack.put(None)

    def _on_message(self, c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))

    def _on_subscribe(self, c: mqtt.Client, u: Any, mid: int, reasons: Any, props: Any) -> None:
        with self._lock:
            self._subacks[mid] = list(reasons)

    def connect(self, timeout: float = WAIT_S) -> Any:
        """The CONNACK reason code, or None if the broker closed the connection first."""
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()
        try:
            return self._connack.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no answer from the broker within {timeout} s") from None

    def connected(self) -> RawClient:
        reason = self.connect()
        assert reason is not None and not reason.is_failure, f"connection refused: {reason}"
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def subscribe(self, topic_filter: str) -> list[Any]:
        """Subscribe and return the SUBACK reason codes (granted QoS or a failure)."""
        rc, mid = self.client.subscribe(topic_filter, qos=1)
        assert rc == mqtt.MQTT_ERR_SUCCESS

        def suback() -> tuple[list[Any]] | None:
            with self._lock:
                return (self._subacks[mid],) if mid in self._subacks else None

        (reasons,) = eventually(suback, f"a SUBACK for {topic_filter}", WAIT_S)
        return reasons

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK: after it, the broker has
        routed the message (or dropped it), so later messages cannot overtake it."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout=WAIT_S)
        assert info.is_published(), f"no PUBACK for {topic}"

    def wait_for(
        self, predicate: Callable[[str, bytes, bool], bool], timeout: float = WAIT_S
    ) -> tuple[str, bytes, bool]:
        """The first message so far or to come for which ``predicate`` holds."""
        return eventually(
            lambda: next((m for m in self.messages() if predicate(*m)), None),
            "the expected message",
            timeout,
        )

    def messages(self) -> list[tuple[str, bytes, bool]]:
        with self._lock:
            return list(self._messages)


def granted(reasons: list[Any]) -> bool:
    return bool(reasons) and all(not r.is_failure for r in reasons)


def now() -> datetime:
    return datetime.now(UTC)


# ----------------------------------------------------------------------------- log-in


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param(None, None, id="anonymous"),
        pytest.param("kiosk-1", "", id="empty-password"),
        pytest.param("kiosk-1", "wrong-password", id="wrong-password"),
        pytest.param("kiosk-1", device_password("pad-q1"), id="other-devices-password"),
        pytest.param("server", device_password("kiosk-1"), id="server-with-device-password"),
        pytest.param("kiosk-99", device_password("kiosk-99"), id="unknown-account"),
    ],
)
def test_connection_without_valid_credentials_is_refused(
    broker: Broker, username: str | None, password: str | None
) -> None:
    bad = RawClient(broker, username, password)
    try:
        reason = bad.connect()
        assert reason is None or reason.is_failure, f"{username!r} was let in: {reason}"
    finally:
        bad.stop()
    # Positive control: the broker is up and the real account works.
    good = RawClient(broker, "kiosk-1", device_password("kiosk-1"))
    try:
        good.connected()
    finally:
        good.stop()


def test_server_account_connects(broker: Broker) -> None:
    client = RawClient(broker, "server", broker.server_password)
    try:
        reason = client.connect()
        assert reason is not None and not reason.is_failure, f"server refused: {reason}"
    finally:
        client.stop()


# ----------------------------------------------------------------------------- with the server


def _done(api: TestClient, clerk: dict[str, str], desk: str, number: str) -> None:
    for action, body in (("call-number", {"number": number}), ("start", {}), ("done", {})):
        r = act(api, clerk, desk, action, **body)
        assert r.status_code == 200, f"{action}: {r.text}"


def test_pad_cannot_rate_for_another_desk(
    server: ServerRuntime, broker: Broker, api: TestClient, tmp_path: Path
) -> None:
    """pad-q2 publishing to desk/q1/rating is dropped by the broker: the server neither
    stores it nor even sees it (no rejection); pad-q1's rating of the same ticket, sent
    after it, is the one that counts."""
    site = server.config
    topics = site.topics
    watch = Watcher(site, broker, f"{topics.root}/#")
    kiosk = started(device_link(site, broker, "kiosk-1", tmp_path))
    pad1 = started(device_link(site, broker, "pad-q1", tmp_path))
    pad2 = started(device_link(site, broker, "pad-q2", tmp_path))
    try:
        resp = request_ticket(kiosk, "tp")
        assert resp.ticket is not None
        clerk = login(api, server, "lan", "clerk", "c01")
        assert act(api, clerk, "q1", "open").status_code == 200
        _done(api, clerk, "q1", resp.ticket.number)

        forged = rating("pad-q2", resp.ticket.ticket_id, "dissatisfied", reasons=["xin_chao"])
        # straight through paho: the forged rating must reach the broker's ACL
        info = pad2.client.publish(topics.desk_rating("q1"), forged.to_json(), qos=1)
        info.wait_for_publish(timeout=WAIT_S)
        assert info.is_published(), "MQTT 3.1.1: a forbidden publish is acknowledged, dropped"

        real = rating("pad-q1", resp.ticket.ticket_id, "very_satisfied")
        pad1.publish_event(topics.desk_rating("q1"), real)
        watch.wait_for(lambda t, d: t == topics.desk_stats("q1") and d.get("ratings") == 1)

        with server.db.read() as s:
            stored = list(s.execute(select(RatingRow.msg_id, RatingRow.device_id)))
            refused = list(s.scalars(select(RejectedMessageRow.msg_id)))
        assert stored == [(real.msg_id, "pad-q1")]
        assert str(forged.msg_id) not in refused
        reports = [d for t, d in watch.all() if t == topics.server_rejected()]
        assert reports == [], reports
        assert pad2.connected.is_set()
    finally:
        for link in (kiosk, pad1, pad2):
            link.stop()
        watch.stop()


MARK = "forged-by-a-device"


def test_devices_cannot_write_server_state(
    server: ServerRuntime, broker: Broker, api: TestClient, tmp_path: Path
) -> None:
    """Forged retained queue/desk state and board calls from a kiosk and a pad never
    reach a board or the monitor; the retained values stay the server's."""
    site = server.config
    topics = site.topics
    monitor = Watcher(site, broker, f"{topics.root}/#")
    board = RawClient(broker, "board-1", device_password("board-1")).connected()
    kiosk = RawClient(broker, "kiosk-1", device_password("kiosk-1")).connected()
    pad = RawClient(broker, "pad-q1", device_password("pad-q1")).connected()
    fresh: RawClient | None = None
    watched = [topics.queue("tp"), topics.desk_state("q1"), topics.board_call()]
    try:
        for f in watched:
            assert granted(board.subscribe(f))
        # The server's retained state is there (published when it connected).
        board.wait_for(lambda t, p, r: t == topics.queue("tp"))
        board.wait_for(lambda t, p, r: t == topics.desk_state("q1"))

        fake = json.dumps({"schema": 1, "mark": MARK, "waiting": 999}).encode()
        for client in (kiosk, pad):
            for topic in (topics.queue("tp"), topics.desk_state("q1"), topics.desk_stats("q1")):
                client.publish(topic, fake, retain=True)
            client.publish(topics.board_call(), fake)
            client.publish(topics.server_status(), fake, retain=True)

        # A board that connects now gets the server's retained values, not the forgeries.
        fresh = RawClient(broker, "board-2", device_password("board-2")).connected()
        for f in watched[:2]:
            assert granted(fresh.subscribe(f))
        _, q, _ = fresh.wait_for(lambda t, p, r: t == topics.queue("tp"))
        _, d, _ = fresh.wait_for(lambda t, p, r: t == topics.desk_state("q1"))
        assert MARK.encode() not in q and MARK.encode() not in d
        QueueState.model_validate_json(q)
        DeskState.model_validate_json(d)

        # Positive control after the forgeries: real updates of the same topics arrive.
        link = started(device_link(site, broker, "kiosk-2", tmp_path))
        try:
            resp = request_ticket(link, "tp")
        finally:
            link.stop()
        assert resp.ticket is not None
        clerk = login(api, server, "lan", "clerk", "c01")
        assert act(api, clerk, "q1", "open").status_code == 200
        r = act(api, clerk, "q1", "call-number", number=resp.ticket.number)
        assert r.status_code == 200, r.text
        number = resp.ticket.number
        board.wait_for(
            lambda t, p, r: t == topics.board_call() and json.loads(p)["number"] == number
        )
        monitor.wait_for(lambda t, d: t == topics.board_call() and d.get("number") == number)

        leaked = [t for t, p, _ in board.messages() if MARK.encode() in p]
        leaked += [t for t, d in monitor.all() if d.get("mark") == MARK]
        assert leaked == [], f"forged state reached subscribers on {leaked}"
    finally:
        for c in (board, kiosk, pad, *([fresh] if fresh else [])):
            c.stop()
        monitor.stop()


def test_kiosk_reads_only_its_own_reserve_and_cannot_forge_it(
    server: ServerRuntime, broker: Broker
) -> None:
    """A kiosk gets its retained reserve from the server; a forged retained reserve from
    the kiosk itself never replaces it, and another kiosk cannot read it."""
    topics = server.config.topics
    kiosk1 = RawClient(broker, "kiosk-1", device_password("kiosk-1")).connected()
    spy = RawClient(broker, "kiosk-2", device_password("kiosk-2")).connected()
    fresh: RawClient | None = None
    try:
        assert granted(kiosk1.subscribe(topics.kiosk_reserve("kiosk-1")))
        _, original, _ = kiosk1.wait_for(lambda t, p, r: t == topics.kiosk_reserve("kiosk-1"))
        assert ReserveBlocks.model_validate_json(original).kiosk_id == "kiosk-1"

        fake = json.dumps({"schema": 1, "mark": MARK, "kiosk_id": "kiosk-1"}).encode()
        kiosk1.publish(topics.kiosk_reserve("kiosk-1"), fake, retain=True)
        kiosk1.publish(topics.kiosk_reserve("kiosk-2"), fake, retain=True)

        kiosk1.stop()  # one connection per account: the fresh one would take its place
        fresh = RawClient(broker, "kiosk-1", device_password("kiosk-1")).connected()
        assert granted(fresh.subscribe(topics.kiosk_reserve("kiosk-1")))
        _, got, _ = fresh.wait_for(lambda t, p, r: t == topics.kiosk_reserve("kiosk-1"))
        assert MARK.encode() not in got
        assert ReserveBlocks.model_validate_json(got).blocks

        # kiosk-2 asks for kiosk-1's reserve (Mosquitto grants and filters per message),
        # then for its own: the positive control arrives, kiosk-1's never does.
        spy.subscribe(topics.kiosk_reserve("kiosk-1"))
        assert granted(spy.subscribe(topics.kiosk_reserve("kiosk-2")))
        _, own, _ = spy.wait_for(lambda t, p, r: t == topics.kiosk_reserve("kiosk-2"))
        assert MARK.encode() not in own
        assert ReserveBlocks.model_validate_json(own).kiosk_id == "kiosk-2"
        assert [t for t, _, _ in spy.messages() if t == topics.kiosk_reserve("kiosk-1")] == []
    finally:
        for c in (kiosk1, spy, *([fresh] if fresh else [])):
            c.stop()


def test_kiosk_cannot_read_another_kiosks_answers(server: ServerRuntime, broker: Broker) -> None:
    """kiosk-2 subscribing to kiosk-1's response topic (exactly, by wildcard, or ``#``)
    receives nothing of kiosk-1's, while kiosk-1 gets its answer and kiosk-2 its own."""
    site = server.config
    topics = site.topics
    spy = RawClient(broker, "kiosk-2", device_password("kiosk-2")).connected()
    kiosk1 = RawClient(broker, "kiosk-1", device_password("kiosk-1")).connected()
    try:
        attempts = {
            f: spy.subscribe(f)
            for f in (
                topics.ticket_response("kiosk-1"),
                f"{topics.root}/kiosk/+/ticket/response",
                f"{topics.root}/kiosk/#",
                f"{topics.root}/#",
            )
        }
        # Mosquitto may grant these and filter per message (another broker may refuse). Either
        # way nothing of kiosk-1's may arrive (checked below).
        assert all(reasons for reasons in attempts.values())
        assert granted(spy.subscribe(topics.ticket_response("kiosk-2")))
        assert granted(kiosk1.subscribe(topics.ticket_response("kiosk-1")))

        req1 = TicketRequest(device_id="kiosk-1", sent_at=now(), service="tp")
        kiosk1.publish(topics.ticket_request("kiosk-1"), req1.to_json())
        _, answer, _ = kiosk1.wait_for(
            lambda t, p, r: json.loads(p).get("request_id") == str(req1.msg_id)
        )
        assert json.loads(answer)["ok"] is True

        # Positive control after kiosk-1's answer: kiosk-2's own answer reaches it.
        req2 = TicketRequest(device_id="kiosk-2", sent_at=now(), service="tp")
        spy.publish(topics.ticket_request("kiosk-2"), req2.to_json())
        spy.wait_for(
            lambda t, p, r: (
                t == topics.ticket_response("kiosk-2")
                and json.loads(p).get("request_id") == str(req2.msg_id)
            )
        )

        foreign = [
            t
            for t, p, _ in spy.messages()
            if t.startswith(f"{topics.root}/kiosk/")
            and not t.startswith(f"{topics.root}/kiosk/kiosk-2/")
        ]
        assert foreign == [], f"kiosk-2 read {foreign}"
        assert str(req1.msg_id).encode() not in b"".join(p for _, p, _ in spy.messages())
    finally:
        spy.stop()
        kiosk1.stop()


def test_pad_reads_only_its_own_desk_state(
    server: ServerRuntime, broker: Broker, api: TestClient
) -> None:
    """pad-q1 subscribing to q2's state, ``desk/+/state`` or ``#`` sees q1's state (and
    the server's status) only, even when q2 changes before q1."""
    site = server.config
    topics = site.topics
    pad = RawClient(broker, "pad-q1", device_password("pad-q1")).connected()
    try:
        assert granted(pad.subscribe(topics.desk_state("q1")))
        for f in (topics.desk_state("q2"), f"{topics.root}/desk/+/state", f"{topics.root}/#"):
            assert pad.subscribe(f)  # granted or refused: what arrives is what counts
        pad.wait_for(lambda t, p, r: t == topics.desk_state("q1"))  # retained

        hung = login(api, server, "hung", "clerk", "c02")
        assert act(api, hung, "q2", "open").status_code == 200
        lan = login(api, server, "lan", "clerk", "c01")
        assert act(api, lan, "q1", "open").status_code == 200
        pad.wait_for(lambda t, p, r: t == topics.desk_state("q1") and json.loads(p)["open"])

        # Its own desk's topics and the server's status and heartbeat (its clock); nothing
        # of another desk, of the queues or of the kiosks (whether it may read its own
        # desk's stats is open).
        own = f"{topics.root}/desk/q1/"
        server_topics = {topics.server_status(), topics.server_heartbeat()}
        seen = {t for t, _, _ in pad.messages()}
        foreign = sorted(t for t in seen if not t.startswith(own) and t not in server_topics)
        assert foreign == [], f"pad-q1 read {foreign}"
        assert topics.desk_state("q2") not in seen
    finally:
        pad.stop()


# ----------------------------------------------------------------------------- server/acl.py


@pytest.mark.parametrize(
    ("rule", "topic", "expected"),
    [
        ("a/b/c", "a/b/c", True),
        ("a/b/c", "a/b", False),
        ("a/b", "a/b/c", False),
        ("a/+/c", "a/b/c", True),
        ("a/+/c", "a/b/d", False),
        ("a/+/c", "a//c", True),
        ("a/+", "a/b/c", False),
        ("a/#", "a/b/c", True),
        ("a/#", "a", True),  # MQTT: "a/#" also matches the parent level
        ("a/#", "b/a", False),
        ("#", "a/b", True),
        ("r/kiosk/kiosk-1/#", "r/kiosk/kiosk-10/ticket/request", False),
        ("r/kiosk/kiosk-1/#", "r/kiosk/kiosk-1/ticket/request", True),
    ],
)
def test_topic_matches(rule: str, topic: str, expected: bool) -> None:
    assert topic_matches(rule, topic) is expected


@pytest.mark.parametrize(
    ("rule", "sub", "expected"),
    [
        ("a/b/c", "a/b/c", True),
        ("a/+/c", "a/b/c", True),
        ("a/+/c", "a/+/c", True),
        ("a/b/c", "a/+/c", False),  # the wildcard would reach a/x/c too
        ("a/#", "a/b/+", True),
        ("a/#", "a/#", True),
        ("a/#", "a", True),
        ("a/b/#", "a/#", False),
        ("a/+", "a/#", False),
        ("a/+", "a/b/c", False),
        ("a/b", "a/b/c", False),
        ("a/b/c", "a/b", False),
        ("#", "#", True),
        ("a/#", "#", False),
        ("r/kiosk/kiosk-1/#", "r/kiosk/+/ticket/response", False),
        ("r/kiosk/kiosk-1/#", "r/kiosk/kiosk-10/#", False),
    ],
)
def test_filter_covered(rule: str, sub: str, expected: bool) -> None:
    assert filter_covered(rule, sub) is expected


def test_rules_for_each_kind_of_account(site: SiteConfig) -> None:
    topics = site.topics
    root = topics.root
    assert rules_for(site, "server") == [Rule("readwrite", f"{root}/#")]
    assert rules_for(site, "nobody") == []

    kiosk = rules_for(site, "kiosk-1")
    for t in (
        topics.ticket_request("kiosk-1"),
        topics.kiosk_rating("kiosk-1"),
        topics.ticket_offline("kiosk-1"),
        topics.device_status("kiosk-1"),
        topics.device_health("kiosk-1"),
    ):
        assert may_publish(kiosk, t), t
    for f in (
        topics.ticket_response("kiosk-1"),
        topics.kiosk_reserve("kiosk-1"),
        f"{root}/queue/+",
        topics.desk_state("q3"),
        f"{root}/desk/+/state",
        topics.server_status(),
    ):
        assert may_subscribe(kiosk, f), f
    assert not may_publish(kiosk, topics.ticket_request("kiosk-2"))
    assert not may_publish(kiosk, topics.device_status("kiosk-2"))
    # A kiosk reads its answers and its retained reserve; only the server writes them.
    assert not may_publish(kiosk, topics.kiosk_reserve("kiosk-1"))
    assert not may_publish(kiosk, topics.ticket_response("kiosk-1"))
    assert may_subscribe(kiosk, f"{root}/kiosk/kiosk-1/#")
    assert not may_subscribe(kiosk, topics.kiosk_reserve("kiosk-2"))
    assert not may_subscribe(kiosk, topics.ticket_response("kiosk-2"))
    assert not may_subscribe(kiosk, f"{root}/kiosk/+/ticket/response")
    assert not may_subscribe(kiosk, f"{root}/#")
    # Desk statistics are public inside the office (DESIGN: "server → anyone").
    assert may_subscribe(kiosk, topics.desk_stats("q1"))
    assert not may_subscribe(kiosk, topics.desk_rating("q1"))  # the ratings themselves are not
    # Each device reads its own receipts (confirmed events), nobody else's.
    assert may_subscribe(kiosk, topics.device_receipt("kiosk-1"))
    assert not may_subscribe(kiosk, topics.device_receipt("kiosk-2"))
    assert not may_publish(kiosk, topics.device_receipt("kiosk-2"))

    pad = rules_for(site, "pad-q1")
    assert may_publish(pad, topics.desk_rating("q1"))
    assert may_publish(pad, topics.device_health("pad-q1"))
    assert not may_publish(pad, topics.desk_rating("q2"))
    assert not may_publish(pad, topics.kiosk_rating("kiosk-1"))
    assert may_subscribe(pad, topics.desk_state("q1"))
    assert not may_subscribe(pad, topics.desk_state("q2"))
    assert not may_subscribe(pad, f"{root}/desk/+/state")
    assert not may_subscribe(pad, topics.desk_rating("q1"))  # write-only
    assert may_subscribe(pad, topics.desk_stats("q1"))
    assert not may_subscribe(pad, topics.desk_stats("q2"))
    assert may_subscribe(pad, topics.device_receipt("pad-q1"))

    board = rules_for(site, "board-1")
    for f in (topics.board_call(), f"{root}/queue/#", f"{root}/desk/+/state"):
        assert may_subscribe(board, f), f
    assert not may_subscribe(board, f"{root}/kiosk/#")

    monitor = rules_for(site, "monitor-1")
    assert may_subscribe(monitor, f"{root}/#")
    assert may_publish(monitor, topics.device_status("monitor-1"))


def test_only_the_server_writes_state_stats_queue_board_and_server_topics(
    site: SiteConfig,
) -> None:
    topics = site.topics
    server_only = [
        topics.queue("tp"),
        topics.desk_state("q1"),
        topics.desk_stats("q1"),
        topics.board_call(),
        topics.server_status(),
        topics.server_rejected(),
    ]
    for dev in site.devices:
        rules = rules_for(site, dev.id)
        for t in server_only:
            assert not may_publish(rules, t), (dev.id, t)
        others = [d for d in site.devices if d.id != dev.id]
        for other in others:
            assert not may_publish(rules, topics.device_status(other.id)), (dev.id, other.id)
            if other.kind == "kiosk":
                assert not may_publish(rules, topics.ticket_request(other.id)), (dev.id, other.id)
        if dev.kind == "kiosk":  # its own reserve and answers are the server's to write
            for t in (topics.kiosk_reserve(dev.id), topics.ticket_response(dev.id)):
                assert not may_publish(rules, t), (dev.id, t)
            if other.kind == "pad" and other.desk != dev.desk:
                assert not may_publish(rules, topics.desk_rating(other.desk or "")), dev.id
    server_rules = rules_for(site, "server")
    assert all(may_publish(server_rules, t) for t in server_only)


# ----------------------------------------------------------------------------- broker_config.py


def _acl_blocks(text: str) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
    """(lines before the first ``user``, {user: [(access, topic)]}) of a Mosquitto ACL."""
    before: list[str] = []
    blocks: dict[str, list[tuple[str, str]]] = {}
    user: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "user":
            user = rest.strip()
            assert user not in blocks, f"user {user} twice"
            blocks[user] = []
        elif user is None:
            before.append(line)
        else:
            assert word == "topic", line
            access, _, topic = rest.strip().partition(" ")
            blocks[user].append((access, topic))
    return before, blocks


def test_mosquitto_files(site: SiteConfig, tmp_path: Path) -> None:
    files = write_mosquitto(
        site,
        tmp_path / "mq",
        bind="127.0.0.1",
        port=18830,
        server_hash=site.server.broker.password_hash,
    )

    passwd = files.passwd.read_text(encoding="utf-8").splitlines()
    accounts = dict(line.split(":", 1) for line in passwd)
    assert len(passwd) == len(site.devices) + 1 == len(accounts)
    assert accounts.pop("server") == site.server.broker.password_hash
    assert accounts == {d.id: d.password_hash for d in site.devices}
    assert all(h.startswith("$7$") for h in accounts.values())
    assert passwd == password_lines(site)
    assert files.passwd.stat().st_mode & 0o007 == 0, "passwd must not be world-readable"

    text = files.acl.read_text(encoding="utf-8")
    assert text == acl_text(site)
    before, blocks = _acl_blocks(text)
    assert before == [], "rules before any `user` line would apply to every client"
    assert "pattern" not in text
    assert set(blocks) == {"server", *(d.id for d in site.devices)}
    for user, lines in blocks.items():
        assert lines == [(r.access, r.topic) for r in rules_for(site, user)], user
    root = site.topics.root
    assert ("read", f"{root}/kiosk/kiosk-1/#") in blocks["kiosk-1"]
    assert ("write", f"{root}/kiosk/kiosk-1/ticket/offline") in blocks["kiosk-1"]
    kiosk_writes = [t for a, t in blocks["kiosk-1"] if a != "read" and "/kiosk/" in t]
    assert all(not t.endswith("/#") and not t.endswith("/reserve") for t in kiosk_writes)
    assert ("write", f"{root}/desk/q1/rating") in blocks["pad-q1"]
    assert ("read", f"{root}/desk/q1/state") in blocks["pad-q1"]
    assert not any("desk/q2" in t for _, t in blocks["pad-q1"])

    conf = [line.strip() for line in files.conf.read_text(encoding="utf-8").splitlines()]
    assert "allow_anonymous false" in conf
    assert not any(line.startswith("allow_anonymous true") for line in conf)
    assert "listener 18830 127.0.0.1" in conf
    assert f"password_file {files.passwd.resolve()}" in conf
    assert f"acl_file {files.acl.resolve()}" in conf
    assert "per_listener_settings false" in conf
