"""`MqttLink` against a real Mosquitto (per-device passwords and ACLs, one connection per
account, MQTT 3.1.1): log-in, retained status with boot id and Last Will,
reconnect, the durable outbox across outages and process restarts, request/response."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from protocol.link import MqttLink
from protocol.messages import (
    DeskRating,
    OfflineTicket,
    Receipt,
    ServerStatus,
    TicketRequest,
    TicketResponse,
)
from protocol.mqtt.errors import LinkError, NotConnected, RequestTimeout
from protocol.mqtt.message import Message
from protocol.outbox import Outbox
from protocol.settings import BrokerSettings
from server.config import SiteConfig
from tests.protocol.mqtt_tools import (
    Confirmer,
    DeviceProcess,
    Gate,
    Responder,
    holds_for,
    server_client,
    stop_client,
)
from tests.support.devices import Watcher, device_link, settings_for, started
from tests.support.services import Broker, free_port
from tests.support.sites import device_password
from tests.support.waiting import eventually

# The server side of these tests is a raw client on the test-tool account, which only the
# stand-alone test Mosquitto has: the link is tested against one broker kind.
pytestmark = pytest.mark.standalone_broker


def now() -> datetime:
    return datetime.now(UTC)


def offline_ticket(device_id: str, n: int) -> OfflineTicket:
    t = now()
    return OfflineTicket(
        device_id=device_id,
        sent_at=t,
        ticket_id=uuid.uuid4(),
        number=f"A{900 + n:03d}",
        service="tp",
        issued_at=t,
        day=date.today(),
    )


def ticket_request(link: MqttLink, service: str = "tp") -> TicketRequest:
    return TicketRequest(device_id=link.device_id, sent_at=now(), service=service)


def ask(link: MqttLink, req: TicketRequest, timeout: float = 10.0) -> TicketResponse:
    t = link.topics
    return link.request(
        t.ticket_request(link.device_id),
        req,
        t.ticket_response(link.device_id),
        TicketResponse,
        timeout,
    )


def msg_ids(watch: Watcher) -> list[str]:
    """msg_ids of every event the watcher saw (duplicates included)."""
    return [d["msg_id"] for _t, d in watch.all() if "msg_id" in d]


def is_status(state: str, boot_id: object) -> Callable[[str, dict[str, Any]], bool]:
    return lambda _t, d: d.get("state") == state and d.get("boot_id") == str(boot_id)


def stop_one(item: object) -> None:
    """Stop whatever a test started, each kind its own way."""
    if isinstance(item, Gate):
        item.shutdown()
    elif isinstance(item, DeviceProcess):
        item.kill()
    elif isinstance(item, mqtt.Client):
        stop_client(item)
    elif isinstance(item, MqttLink | Watcher | Responder | Confirmer):
        item.stop()


def receive(got: queue.Queue[bytes], wanted: bytes, timeout: float = 10.0) -> None:
    """Wait for ``wanted`` on ``got``, skipping older messages (QoS 1 redeliveries)."""

    def arrived() -> bool:
        try:
            return got.get(timeout=0.1) == wanted
        except queue.Empty:
            return False

    eventually(arrived, f"{wanted!r} received", timeout, interval=0)


@pytest.fixture
def cleanup() -> Iterator[list[object]]:
    """Things to stop at the end of a test, in reverse order, whatever happened."""
    items: list[object] = []
    yield items
    for item in reversed(items):
        stop_one(item)


def watch(cleanup: list[object], site: SiteConfig, broker: Broker, topic: str) -> Watcher:
    w = Watcher(site, broker, topic)
    cleanup.append(w)
    return w


# ---------------------------------------------------------------------- log-in


def test_connects_with_the_devices_own_password(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    link = device_link(site, broker, "kiosk-1")
    cleanup.append(link)
    started(link)
    assert link.connected.is_set()


def test_wrong_password_never_connects_and_logs_an_error(
    site: SiteConfig, broker: Broker, cleanup: list[object], caplog: pytest.LogCaptureFixture
) -> None:
    """Here the wrong password is another device's: accounts are per device."""
    caplog.set_level(logging.ERROR, logger="protocol.mqtt.connection")
    status = watch(cleanup, site, broker, site.topics.device_status("kiosk-1"))
    settings = settings_for(broker, site, "kiosk-1", device_password("kiosk-2"))
    link = MqttLink(settings, site.site.code, "kiosk-1")
    cleanup.append(link)
    link.start()

    def refused_logged() -> bool:
        return any(
            r.name == "protocol.mqtt.connection"
            and r.levelno >= logging.ERROR
            and "refused" in r.message
            for r in caplog.records
        )

    eventually(refused_logged, "an error log about the refused connection")
    assert not link.wait_connected(1.5)
    assert not link.connected.is_set()
    assert status.all() == []  # never announced itself online


# ---------------------------------------------------------------------- status


def test_retained_online_then_offline_on_clean_stop_with_the_same_boot_id(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    topic = site.topics.device_status("kiosk-1")
    status = watch(cleanup, site, broker, topic)
    link = started(device_link(site, broker, "kiosk-1"))
    cleanup.append(link)  # stopping twice is harmless
    t, online = status.wait_for(is_status("online", link.boot_id))
    assert t == topic
    assert online["device_id"] == "kiosk-1"

    late = watch(cleanup, site, broker, topic)  # subscribes after the fact: retained
    late.wait_for(is_status("online", link.boot_id))

    link.stop()
    status.wait_for(is_status("offline", link.boot_id))
    later = watch(cleanup, site, broker, topic)
    _, offline = later.wait_for(is_status("offline", link.boot_id))
    assert offline["since"] == online["since"]


def test_abrupt_loss_makes_the_broker_publish_offline_with_the_same_boot_id(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    """SIGKILL the device: only the broker can tell, through the Last Will."""
    topic = site.topics.device_status("kiosk-2")
    status = watch(cleanup, site, broker, topic)
    dev = DeviceProcess(site, broker, "kiosk-2", wait_connected=True)
    cleanup.append(dev)
    status.wait_for(is_status("online", dev.boot_id))

    dev.kill()
    status.wait_for(is_status("offline", dev.boot_id))
    late = watch(cleanup, site, broker, topic)
    late.wait_for(is_status("offline", dev.boot_id))
    # Retained: offline, never a stale online.
    assert {d["state"] for _t, d in late.all()} == {"offline"}


def test_each_start_has_a_new_boot_id(site: SiteConfig, broker: Broker) -> None:
    a = device_link(site, broker, "kiosk-1")
    b = device_link(site, broker, "kiosk-1")
    assert a.boot_id != b.boot_id
    for link in (a, b):
        link.stop(announce_offline=False)


def test_status_is_announced_again_when_the_server_comes_back(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    """A restarted server may have missed our status: a new server boot id re-announces it."""
    topics = site.topics
    status = watch(cleanup, site, broker, topics.device_status("kiosk-1"))
    link = started(device_link(site, broker, "kiosk-1"))
    cleanup.append(link)
    srv = server_client(broker, site)
    cleanup.append(srv)

    def server_online(boot: uuid.UUID) -> None:
        msg = ServerStatus(state="online", boot_id=boot, version="0.1.0", since=now())
        srv.publish(topics.server_status(), msg.to_json(), qos=1, retain=True).wait_for_publish(10)

    def onlines() -> int:
        return sum(1 for _t, d in status.all() if d.get("boot_id") == str(link.boot_id))

    eventually(lambda: onlines() == 1, "the first online status")
    first_server = uuid.uuid4()
    server_online(first_server)  # first sight of the server: nothing to repeat
    server_online(first_server)  # same server boot again: nothing to repeat
    server_online(uuid.uuid4())  # the server restarted
    eventually(lambda: onlines() == 2, "the status announced again")
    assert holds_for(lambda: onlines() == 2, 0.5)
    assert [d["state"] for _t, d in status.all()] == ["online", "online"]


# ---------------------------------------------------------------------- reconnect


def test_reconnects_by_itself_after_the_broker_restarts(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    topics = site.topics
    got: queue.Queue[bytes] = queue.Queue()
    link = device_link(site, broker, "kiosk-1")
    link.subscribe(topics.queue("tp"), lambda msg: got.put(bytes(msg.payload)))
    hooks: list[float] = []
    link.on_connected(lambda: hooks.append(time.monotonic()))
    cleanup.append(started(link))
    assert len(hooks) == 1

    broker.stop()
    eventually(lambda: not link.connected.is_set(), "the link to notice the outage")
    assert not link.wait_connected(0.5)
    broker.start()
    assert link.wait_connected(15), "the link did not reconnect by itself"
    assert len(hooks) == 2  # on_connected runs after every (re)connect

    srv = server_client(broker, site)
    cleanup.append(srv)
    srv.publish(topics.queue("tp"), b"after", qos=1)
    assert got.get(timeout=10) == b"after"  # the subscription works again
    # The retained status is online again.
    status = watch(cleanup, site, broker, topics.device_status("kiosk-1"))
    status.wait_for(is_status("online", link.boot_id))


def test_a_broker_stopped_in_mid_traffic_is_noticed_and_rejoined(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    """A real outage comes while messages and acknowledgements are in flight: the device
    must see the connection drop at once and rejoin when the broker is back."""
    topic = site.topics.queue("tp")
    got: queue.Queue[bytes] = queue.Queue()
    link = device_link(site, broker, "kiosk-1")
    link.subscribe(topic, lambda msg: got.put(bytes(msg.payload)))
    cleanup.append(started(link))
    srv = server_client(broker, site)
    for n in range(20):
        srv.publish(topic, f"burst {n}".encode(), qos=1)
    assert got.get(timeout=10).startswith(b"burst")

    t0 = time.monotonic()
    stopper = threading.Thread(target=broker.stop)
    stopper.start()  # while the device is still receiving and acknowledging the burst
    try:
        noticed = eventually(lambda: not link.connected.is_set(), "the outage noticed", 10)
    except AssertionError:
        noticed = False  # asserted below, after the stopper is joined and timed
    stopper.join(30)
    took = time.monotonic() - t0
    stop_client(srv)
    assert noticed, f"{broker.kind}: device still connected {took:.1f} s after broker.stop()"
    assert took < 5, f"{broker.kind}: broker.stop() took {took:.1f} s"
    broker.start()
    assert link.wait_connected(15), "no reconnect after the restart"

    srv = server_client(broker, site)
    cleanup.append(srv)
    srv.publish(topic, b"after", qos=1)
    receive(got, b"after")  # the subscription works again


def test_replies_queued_while_the_device_was_away_still_arrive(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    """Fixed client id + persistent session: the broker keeps QoS 1 messages for it."""
    topic = site.topics.ticket_response("kiosk-1")
    first = device_link(site, broker, "kiosk-1")
    first.subscribe(topic, lambda msg: None)
    cleanup.append(started(first))
    first.stop()

    srv = server_client(broker, site)
    cleanup.append(srv)
    srv.publish(topic, b'{"while": "away"}', qos=1).wait_for_publish(10)

    got: queue.Queue[bytes] = queue.Queue()
    second = device_link(site, broker, "kiosk-1")
    second.subscribe(topic, lambda msg: got.put(bytes(msg.payload)))
    cleanup.append(started(second))
    assert got.get(timeout=10) == b'{"while": "away"}'


def server_link(site: SiteConfig, broker: Broker, **kwargs: Any) -> MqttLink:
    settings = settings_for(broker, site, site.server.broker.username, broker.server_password)
    return MqttLink(
        settings,
        site.site.code,
        "server",
        client_id="server-ack-test",
        announce_status=False,
        **kwargs,
    )


def test_with_manual_ack_an_unacknowledged_message_comes_back(
    site: SiteConfig, mosquitto: Broker, cleanup: list[object], tmp_path: Path
) -> None:
    """The server acknowledges after its commit: if it stops before, the broker redelivers."""
    broker = mosquitto
    topics = site.topics
    got: queue.Queue[Message] = queue.Queue()
    rating_filter = f"{topics.root}/desk/+/rating"

    def consumer() -> MqttLink:
        link = server_link(site, broker, manual_ack=True)
        link.subscribe(rating_filter, got.put)
        cleanup.append(link)
        return started(link)

    srv = consumer()
    pad = started(device_link(site, broker, "pad-q1", tmp_path, confirm="puback"))
    cleanup.append(pad)
    event = DeskRating(device_id="pad-q1", sent_at=now(), ticket_id=uuid.uuid4(), level="satisfied")
    pad.publish_event(topics.desk_rating("q1"), event)
    first = got.get(timeout=10)
    assert json.loads(first.payload)["msg_id"] == str(event.msg_id)
    eventually(lambda: pad.outbox_depth() == 0, "the PUBACK to the pad")
    srv.stop()  # "crash" before the commit: no acknowledgement sent

    srv = consumer()
    again = got.get(timeout=10)
    assert json.loads(again.payload)["msg_id"] == str(event.msg_id)
    srv.ack(again)  # committed this time
    srv.stop()

    consumer()
    assert holds_for(got.empty, 1.0), "an acknowledged message was delivered again"


# ---------------------------------------------------------------------- durable outbox


def gated_link(
    site: SiteConfig, broker: Broker, gate: Gate, device_id: str, outbox: Path
) -> MqttLink:
    settings = settings_for(broker, site, device_id).model_copy(update={"port": gate.port})
    return MqttLink(settings, site.site.code, device_id, outbox_path=outbox)


def pending_ids(path: Path) -> set[str]:
    """msg_ids still in an outbox file, read through a second connection."""
    box = Outbox(path)
    try:
        return {i.msg_id for i in box.pending()}
    finally:
        box.close()


def receipt(
    srv: mqtt.Client, site: SiteConfig, device_id: str, events: list[OfflineTicket]
) -> None:
    """The server confirms ``events`` of ``device_id`` (what it does after its commit)."""
    msg = Receipt(device_id=device_id, msg_ids=[e.msg_id for e in events])
    topic = site.topics.device_receipt(device_id)
    srv.publish(topic, msg.to_json(), qos=1).wait_for_publish(10)


def test_events_published_while_the_broker_is_down_are_delivered_when_it_returns(
    site: SiteConfig, broker: Broker, cleanup: list[object], tmp_path: Path
) -> None:
    topic = site.topics.ticket_offline("kiosk-1")
    gate = Gate(broker.port)  # lets the test hold the device back until the server is back
    cleanup.append(gate)
    link = gated_link(site, broker, gate, "kiosk-1", tmp_path / "kiosk-1.outbox.db")
    cleanup.append(started(link))
    seen = watch(cleanup, site, broker, topic)  # reconnects and resubscribes by itself too

    broker.stop()
    eventually(lambda: not link.connected.is_set(), "the link to notice the outage")
    events = [offline_ticket("kiosk-1", n) for n in range(1, 26)]
    for e in events:
        link.publish_event(topic, e)
    assert link.outbox_depth() == 25
    # Nothing confirmed, nothing deleted: the rows stay while reconnect attempts fail.
    assert holds_for(lambda: link.outbox_depth() == 25, 1.5)

    gate.close()
    broker.start()
    assert seen.link.wait_connected(15)
    cleanup.append(Confirmer(broker, site, topic))  # the server, sending receipts
    assert link.outbox_depth() == 25 and msg_ids(seen) == []
    gate.open()
    assert link.wait_connected(15)
    expected = {str(e.msg_id) for e in events}
    eventually(lambda: expected <= set(msg_ids(seen)), "every queued event")
    assert set(msg_ids(seen)) == expected  # exactly that set, nothing invented
    eventually(lambda: link.outbox_depth() == 0, "the outbox to empty after the receipts")
    _, data = seen.wait_for(lambda _t, d: d.get("msg_id") == str(events[0].msg_id))
    assert OfflineTicket.model_validate(data) == events[0]  # delivered intact


def test_events_survive_a_process_kill_and_are_replayed_by_the_next_process(
    site: SiteConfig, broker: Broker, cleanup: list[object], tmp_path: Path
) -> None:
    n = 120  # more than the link's in-flight window of 100
    outbox = tmp_path / "kiosk-2.outbox.db"
    topic = site.topics.ticket_offline("kiosk-2")
    broker.stop()
    dev = DeviceProcess(site, broker, "kiosk-2", outbox=outbox, events=n)
    cleanup.append(dev)
    assert len(set(dev.queued)) == n
    dev.kill()  # the power cut: paho's in-memory queue is gone
    assert pending_ids(outbox) == set(dev.queued)

    broker.start()
    seen = watch(cleanup, site, broker, topic)
    cleanup.append(Confirmer(broker, site, topic))
    link = MqttLink(
        settings_for(broker, site, "kiosk-2"), site.site.code, "kiosk-2", outbox_path=outbox
    )
    cleanup.append(started(link))
    eventually(lambda: len(set(msg_ids(seen))) >= n, f"{n} distinct events")
    assert set(msg_ids(seen)) == set(dev.queued)  # nothing lost, nothing invented
    eventually(lambda: link.outbox_depth() == 0, "the outbox to empty")


def test_a_puback_alone_deletes_nothing_a_receipt_deletes_exactly_its_events(
    site: SiteConfig, broker: Broker, cleanup: list[object], tmp_path: Path
) -> None:
    """Default mode: the broker's PUBACK is not enough (the embedded broker dies with the
    server); only the server's receipt, sent after its commit, frees an event."""
    topic = site.topics.ticket_offline("kiosk-1")
    path = tmp_path / "kiosk-1.outbox.db"
    seen = watch(cleanup, site, broker, topic)
    link = started(device_link(site, broker, "kiosk-1", tmp_path))
    cleanup.append(link)
    events = [offline_ticket("kiosk-1", n) for n in range(5)]
    for e in events:
        link.publish_event(topic, e)
    ids = [str(e.msg_id) for e in events]
    eventually(lambda: set(ids) <= set(msg_ids(seen)), "the events at the broker")
    assert holds_for(lambda: link.outbox_depth() == 5, 1.0)

    srv = server_client(broker, site)
    cleanup.append(srv)
    other = offline_ticket("kiosk-2", 9)
    receipt(srv, site, "kiosk-2", [events[0], other])  # another device's receipt: not ours
    srv.publish(site.topics.device_receipt("kiosk-1"), b"{not json", qos=1)  # ignored
    receipt(srv, site, "kiosk-1", [events[1], events[3], other])  # unknown ids: harmless
    eventually(lambda: link.outbox_depth() == 3, "two events confirmed")
    assert pending_ids(path) == {ids[0], ids[2], ids[4]}
    receipt(srv, site, "kiosk-1", events)  # a repeated receipt is harmless too
    eventually(lambda: link.outbox_depth() == 0, "every event confirmed")


def test_in_puback_mode_the_brokers_acknowledgement_deletes(
    site: SiteConfig, broker: Broker, cleanup: list[object], tmp_path: Path
) -> None:
    topic = site.topics.ticket_offline("kiosk-1")
    seen = watch(cleanup, site, broker, topic)
    link = started(device_link(site, broker, "kiosk-1", tmp_path, confirm="puback"))
    cleanup.append(link)
    events = [offline_ticket("kiosk-1", n) for n in range(5)]
    for e in events:
        link.publish_event(topic, e)
    eventually(lambda: link.outbox_depth() == 0, "the PUBACKs")
    ids = {str(e.msg_id) for e in events}
    eventually(lambda: ids <= set(msg_ids(seen)), "the events at the watcher")
    # No receipt was ever published: the PUBACKs alone emptied the durable outbox.
    assert link.outbox_depth() == 0 and pending_ids(tmp_path / "kiosk-1.outbox.db") == set()


def test_unconfirmed_events_are_sent_again_until_a_receipt_arrives(
    site: SiteConfig, broker: Broker, cleanup: list[object], tmp_path: Path
) -> None:
    topic = site.topics.ticket_offline("kiosk-1")
    seen = watch(cleanup, site, broker, topic)
    link = started(device_link(site, broker, "kiosk-1", tmp_path, resend_after_s=1.0))
    cleanup.append(link)
    events = [offline_ticket("kiosk-1", n) for n in range(3)]
    for e in events:
        link.publish_event(topic, e)
    ids = [str(e.msg_id) for e in events]

    def copies() -> list[int]:
        seen_ids = msg_ids(seen)
        return [seen_ids.count(i) for i in ids]

    eventually(lambda: min(copies()) >= 2, "every unconfirmed event sent again")
    assert link.outbox_depth() == 3
    srv = server_client(broker, site)
    cleanup.append(srv)
    receipt(srv, site, "kiosk-1", events)
    eventually(lambda: link.outbox_depth() == 0, "the receipt")
    settled = copies()
    assert holds_for(lambda: copies() == settled, 2.5), "confirmed events were sent again"


def test_a_restarted_server_gets_unconfirmed_events_again_at_once(
    site: SiteConfig, broker: Broker, cleanup: list[object], tmp_path: Path
) -> None:
    """A server that restarted may have lost what it had not committed: resend now,
    not after ``resend_after_s`` (30 s by default)."""
    topics = site.topics
    topic = topics.ticket_offline("kiosk-1")
    seen = watch(cleanup, site, broker, topic)
    link = started(device_link(site, broker, "kiosk-1", tmp_path))
    cleanup.append(link)
    srv = server_client(broker, site)
    cleanup.append(srv)

    def server_online(boot: uuid.UUID) -> None:
        msg = ServerStatus(state="online", boot_id=boot, version="0.1.0", since=now())
        srv.publish(topics.server_status(), msg.to_json(), qos=1, retain=True).wait_for_publish(10)

    server_online(uuid.uuid4())  # the server the device first sees
    events = [offline_ticket("kiosk-1", n) for n in range(3)]
    for e in events:
        link.publish_event(topic, e)
    ids = [str(e.msg_id) for e in events]
    eventually(lambda: set(ids) <= set(msg_ids(seen)), "the first sending")
    server_online(uuid.uuid4())  # ...restarts before confirming them
    t0 = time.monotonic()
    eventually(lambda: all(msg_ids(seen).count(i) >= 2 for i in ids), "the events sent again")
    assert time.monotonic() - t0 < 10
    assert link.outbox_depth() == 3


def test_after_a_long_outage_the_server_gets_its_full_wait_before_a_resend(
    site: SiteConfig, mosquitto: Broker, cleanup: list[object], tmp_path: Path
) -> None:
    """``resend_after_s`` must count from when an event actually reached the broker, not
    from when it was queued: otherwise every outage longer than that sends the whole
    backlog twice, right after the first delivery."""
    broker = mosquitto
    topic = site.topics.ticket_offline("kiosk-1")
    gate = Gate(broker.port)
    cleanup.append(gate)
    settings = settings_for(broker, site, "kiosk-1").model_copy(update={"port": gate.port})
    link = MqttLink(
        settings, site.site.code, "kiosk-1", outbox_path=tmp_path / "o.db", resend_after_s=2.0
    )
    cleanup.append(started(link))
    seen = watch(cleanup, site, broker, topic)

    gate.close()  # the kiosk loses the network
    eventually(lambda: not link.connected.is_set(), "the link to notice")
    events = [offline_ticket("kiosk-1", n) for n in range(3)]
    for e in events:
        link.publish_event(topic, e)
    assert holds_for(lambda: not link.connected.is_set(), 2.5)  # longer than resend_after_s
    gate.open()
    ids = [str(e.msg_id) for e in events]
    eventually(lambda: set(ids) <= set(msg_ids(seen)), "the delayed events")

    def sent_once() -> bool:
        return all(msg_ids(seen).count(i) == 1 for i in ids)

    assert holds_for(sent_once, 1.5), (
        f"sent again before the server had 2 s to confirm: {[msg_ids(seen).count(i) for i in ids]}"
    )


def test_an_unpublishable_event_is_refused_before_it_is_stored(tmp_path: Path) -> None:
    """A topic paho can never publish (wildcards) must not become a stored event."""
    settings = BrokerSettings(port=free_port(), username="kiosk-1")
    link = MqttLink(settings, "gialoc", "kiosk-1", outbox_path=tmp_path / "o.db")
    link.start()
    try:
        with pytest.raises(ValueError):
            link.publish_event(
                "motcua/v1/gialoc/kiosk/+/ticket/offline", offline_ticket("kiosk-1", 1)
            )
        assert link.outbox_depth() == 0, "an event that can never be sent was stored"
    finally:
        link.stop()


def test_a_poisoned_outbox_row_does_not_stop_the_device_from_starting(
    site: SiteConfig, mosquitto: Broker, cleanup: list[object], tmp_path: Path
) -> None:
    """One unsendable row (e.g. stored by an older version) must not brick the kiosk:
    start() replays the others and keeps the device running."""
    broker = mosquitto
    topic = site.topics.ticket_offline("kiosk-1")
    path = tmp_path / "kiosk-1.outbox.db"
    good = offline_ticket("kiosk-1", 2)
    box = Outbox(path)
    box.add(str(uuid.uuid4()), f"{site.topics.root}/kiosk/#", b"{}")
    box.add(str(good.msg_id), topic, good.to_json())
    box.close()

    seen = watch(cleanup, site, broker, topic)
    link = MqttLink(
        settings_for(broker, site, "kiosk-1"),
        site.site.code,
        "kiosk-1",
        outbox_path=path,
        confirm="puback",
    )
    cleanup.append(link)
    link.start()  # raises ValueError today: the device cannot boot any more
    assert link.wait_connected(10)
    seen.wait_for(lambda _t, d: d.get("msg_id") == str(good.msg_id))


def test_publish_event_needs_an_outbox(site: SiteConfig, broker: Broker) -> None:
    link = device_link(site, broker, "kiosk-1")  # no outbox_dir
    try:
        with pytest.raises(LinkError, match="no outbox"):
            link.publish_event(site.topics.ticket_offline("kiosk-1"), offline_ticket("kiosk-1", 1))
        assert link.outbox_depth() == 0
    finally:
        link.stop(announce_offline=False)


# ---------------------------------------------------------------------- request/response


def test_request_returns_the_parsed_reply(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    responder = Responder(broker, site)
    cleanup.append(responder)
    link = started(device_link(site, broker, "kiosk-1"))
    cleanup.append(link)
    req = ticket_request(link, "dd")
    reply = ask(link, req)
    assert isinstance(reply, TicketResponse)
    assert reply.request_id == req.msg_id
    assert reply.ok and reply.ticket is not None
    assert (reply.ticket.service, reply.ticket.number) == ("dd", "A001")
    assert reply.ticket.service_name == "Tư pháp – Hộ tịch"
    again = ask(link, ticket_request(link))  # the reply subscription is reused
    assert again.ticket is not None and again.ticket.number == "A002"
    assert [r.msg_id for r in responder.received] == [req.msg_id, again.request_id]


def test_request_without_a_responder_times_out_in_time(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    link = started(device_link(site, broker, "kiosk-1"))
    cleanup.append(link)
    t0 = time.monotonic()
    with pytest.raises(RequestTimeout):
        ask(link, ticket_request(link), timeout=1.0)
    elapsed = time.monotonic() - t0
    assert 1.0 <= elapsed < 2.5, elapsed


def test_a_late_reply_does_not_answer_the_next_request(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    link = started(device_link(site, broker, "kiosk-1"))
    cleanup.append(link)
    stale = ticket_request(link)
    with pytest.raises(RequestTimeout):
        ask(link, stale, timeout=0.5)
    responder = Responder(broker, site)
    cleanup.append(responder)
    # A reply to the abandoned request arrives late: it must not satisfy a new one.
    srv = server_client(broker, site)
    cleanup.append(srv)
    late = TicketResponse(request_id=stale.msg_id, ok=False)
    srv.publish(site.topics.ticket_response("kiosk-1"), late.to_json(), qos=1)
    fresh = ticket_request(link)
    reply = ask(link, fresh)
    assert reply.request_id == fresh.msg_id and reply.ok


def test_request_while_the_broker_is_down_raises_not_connected(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    link = started(device_link(site, broker, "kiosk-1"))
    cleanup.append(link)
    broker.stop()
    eventually(lambda: not link.connected.is_set(), "the link to notice the outage")
    t0 = time.monotonic()
    with pytest.raises(NotConnected):
        ask(link, ticket_request(link), timeout=5.0)
    assert time.monotonic() - t0 < 1.0  # refused at once, no waiting for a timeout


def test_concurrent_requests_each_get_their_own_answer(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    """Two threads ask at once; the responder answers in reverse order."""
    responder = Responder(broker, site, batch=2)
    cleanup.append(responder)
    link = started(device_link(site, broker, "kiosk-1"))
    cleanup.append(link)
    barrier = threading.Barrier(2)
    results: dict[str, tuple[TicketRequest, TicketResponse | BaseException]] = {}

    def worker(service: str) -> None:
        req = ticket_request(link, service)
        barrier.wait(5)
        try:
            results[service] = (req, ask(link, req, timeout=10))
        except BaseException as e:  # reported below
            results[service] = (req, e)

    threads = [threading.Thread(target=worker, args=(s,)) for s in ("tp", "dd")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert set(results) == {"tp", "dd"}
    for service, (req, reply) in results.items():
        assert isinstance(reply, TicketResponse), reply
        assert reply.request_id == req.msg_id
        assert reply.ticket is not None and reply.ticket.service == service
    numbers = {r.ticket.number for _, r in results.values()}  # type: ignore[union-attr]
    assert numbers == {"A001", "A002"}


def test_request_payload_is_the_event_json(
    site: SiteConfig, broker: Broker, cleanup: list[object]
) -> None:
    """What goes on the wire is exactly the validated model (msg_id for correlation)."""
    responder = Responder(broker, site)
    cleanup.append(responder)
    link = started(device_link(site, broker, "kiosk-1"))
    cleanup.append(link)
    req = ticket_request(link)
    ask(link, req)
    assert responder.received == [req]
    assert json.loads(req.to_json())["msg_id"] == str(req.msg_id)
