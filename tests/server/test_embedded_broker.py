"""The embedded broker (amqtt) as the one-box deployment uses it."""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from server.config import SiteConfig
from tests.support.services import start_amqtt
from tests.support.sites import SERVER_PASSWORD, device_password


def _client(port: int, user: str, password: str, client_id: str | None = None) -> mqtt.Client:
    c = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or f"{user}-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv311,
    )
    c.username_pw_set(user, password)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def test_no_message_lost_while_other_clients_subscribe(site: SiteConfig) -> None:
    """amqtt walks its subscription table across awaits; a client subscribing meanwhile
    used to abort the broadcast, losing a QoS 1 message the publisher had been
    acknowledged for. The embedded broker iterates a snapshot instead."""
    broker = start_amqtt(site)
    root = site.topics.root
    got: set[bytes] = set()
    ready = threading.Event()
    sub = _client(broker.port, "server", SERVER_PASSWORD)
    sub.on_message = lambda c, u, m: got.add(m.payload)
    sub.on_subscribe = lambda *a: ready.set()
    sub.subscribe(f"{root}/desk/+/rating", qos=1)
    assert ready.wait(10)
    stop = threading.Event()

    def churn() -> None:  # boards coming and going, each subscribing to many topics
        while not stop.is_set():
            c = _client(broker.port, "board-1", device_password("board-1"))
            for _ in range(5):  # filters nobody else has: removed again on disconnect
                c.subscribe(f"{root}/queue/x{uuid.uuid4().hex[:8]}", qos=1)
            time.sleep(0.02)
            c.disconnect()
            c.loop_stop()

    churners = [threading.Thread(target=churn, daemon=True) for _ in range(2)]
    for t in churners:
        t.start()
    pad = _client(broker.port, "pad-q1", device_password("pad-q1"))
    sent = [f"rating-{i}".encode() for i in range(300)]
    infos = [pad.publish(f"{root}/desk/q1/rating", p, qos=1) for p in sent]
    for info in infos:
        info.wait_for_publish(60)  # the broker acknowledged every one
    deadline = time.monotonic() + 30
    while len(got) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    for t in churners:
        t.join(10)
    for c in (pad, sub):
        c.disconnect()
        c.loop_stop()
    broker.stop()
    assert len(got) == len(sent), f"{len(sent) - len(got)} acknowledged messages never delivered"
