"""The MQTT client every motcua device and the server use (paho-mqtt 2.x).

What it adds to paho:

* per-device username/password, optional TLS, a fixed client id and a persistent
  session, so replies queued while a device was away still arrive;
* a retained ``online``/``offline`` status with a boot id, ``offline`` set as the Last Will;
* automatic reconnect with exponential back-off (paho's own loop, started with
  ``connect_async`` so a device can boot while the broker is down);
* `publish_event`: durable delivery through the SQLite `Outbox`. An event is deleted
  when the server's receipt for it arrives (``confirm="receipt"``, the default: the
  server sends it after its commit) or on the broker's PUBACK (``confirm="puback"``).
  paho resends unacknowledged events after a reconnect; we resend unconfirmed ones
  after a restart, when the server comes back with a new boot id, and after
  ``resend_after_s`` without a receipt;
* `request`: request/response correlated by ``msg_id`` in the payload, which works on
  MQTT 3.1.1 (no response-topic property needed);
* optional manual acknowledgement, so the server acknowledges only after its commit.

`MqttLink` is a façade: each job lives in `protocol.mqtt` (`connection`, `delivery`,
`requests`), and handlers receive a `protocol.mqtt.message.Message`, never a paho type.

Paho runs callbacks on its network thread while holding its internal lock: waiting, or
taking a lock another thread may hold while calling paho, deadlocks. Callbacks here only
hand work off (queues, futures); subscribers' handlers must do the same.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel

from protocol.messages import Event
from protocol.mqtt import connect_failures
from protocol.mqtt.connection import Connection, PresenceState
from protocol.mqtt.delivery import Delivery
from protocol.mqtt.errors import LinkError
from protocol.mqtt.message import Handler, Message
from protocol.mqtt.requests import Requests
from protocol.outbox import Outbox
from protocol.settings import BrokerSettings
from protocol.topics import SPEC, TopicKind, Topics

R = TypeVar("R", bound=BaseModel)


class MqttLink:
    """One MQTT connection of one device (or of the server)."""

    def __init__(
        self,
        settings: BrokerSettings,
        site: str,
        device_id: str,
        *,
        outbox_path: str | Path | None = None,
        manual_ack: bool = False,
        clean_session: bool = False,
        client_id: str | None = None,
        announce_status: bool = True,
        status_topic: str | None = None,
        status_payload: Callable[[PresenceState], bytes] | None = None,
        max_inflight: int = 100,
        confirm: Literal["receipt", "puback"] = "receipt",
        resend_after_s: float = 30.0,
        announce_after_subscribe: bool = False,
    ) -> None:
        self.settings = settings
        self.device_id = device_id
        self.topics = Topics(site, settings.prefix)
        self.connection = Connection(
            settings,
            self.topics,
            device_id,
            manual_ack=manual_ack,
            clean_session=clean_session,
            client_id=client_id,
            announce_status=announce_status,
            status_topic=status_topic,
            status_payload=status_payload,
            max_inflight=max_inflight,
            announce_after_subscribe=announce_after_subscribe,
        )
        self.boot_id = self.connection.boot_id
        self.started_at = self.connection.started_at
        self.connected = self.connection.connected
        #: Set while the retained ``server/status`` says the server is online.
        self.server_online = self.connection.server_online
        self.client = self.connection.client
        #: Why the connection cannot be opened (TLS, port), logged once per cause.
        self.connect_failures = connect_failures.attach(self.connection)
        self._delivery = (
            Delivery(
                self.connection,
                Outbox(outbox_path),
                confirm=confirm,
                resend_after_s=resend_after_s,
            )
            if outbox_path
            else None
        )
        self._requests = Requests(self.connection)

    @property
    def silenced(self) -> bool:
        """Set to keep the link from announcing itself again (it is giving up)."""
        return self.connection.silenced

    @silenced.setter
    def silenced(self, value: bool) -> None:
        self.connection.silenced = value

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Connect in the background and keep reconnecting; replay the outbox."""
        if self._delivery is not None:
            self._delivery.start()
        self.connection.start()

    def stop(self, *, announce_offline: bool = True) -> None:
        """Disconnect cleanly (publishing ``offline`` first) and stop the threads."""
        self.connection.stop(announce_offline=announce_offline)
        if self._delivery is not None:
            self._delivery.stop()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """True once connected and every subscription is acknowledged."""
        return self.connection.wait_connected(timeout)

    def on_connected(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` (on paho's thread: hand work off only) after each (re)connect."""
        self.connection.on_connected(hook)

    def on_disconnected(self, hook: Callable[[str], None]) -> None:
        """Run ``hook(reason)`` (on paho's thread: hand work off only) after each loss of
        the connection that was not asked for."""
        self.connection.on_disconnected(hook)

    def resubscribe(self) -> None:
        """Send every subscription again (the broker may have lost them)."""
        self.connection.resubscribe()

    # ------------------------------------------------------------------ publishing

    def publish(
        self, topic: str, payload: bytes | BaseModel, *, qos: int = 1, retain: bool = False
    ) -> None:
        """Publish without the outbox (state, replies): lost if the process dies first."""
        data = (
            payload.model_dump_json(by_alias=True).encode()
            if isinstance(payload, BaseModel)
            else payload
        )
        self.connection.publish(topic, data, qos=qos, retain=retain)

    def send(self, kind: TopicKind, topic: str, payload: bytes | BaseModel) -> None:
        """`publish` with the retain flag and QoS the topic table gives ``kind``."""
        spec = SPEC[kind]
        self.publish(topic, payload, qos=spec.qos, retain=spec.retained)

    def publish_event(self, topic: str, event: Event, *, retain: bool = False) -> None:
        """Publish an event durably: stored in the outbox first, deleted only once it is
        confirmed (by the server's receipt, or the broker's PUBACK with
        ``confirm="puback"``)."""
        if self._delivery is None:
            raise LinkError("this link has no outbox")
        self._delivery.publish_event(topic, event, retain=retain)

    def outbox_depth(self) -> int:
        return self._delivery.depth() if self._delivery is not None else 0

    # ------------------------------------------------------------------ subscribing

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        """Call ``handler`` on paho's thread for every message on ``topic_filter``."""
        self.connection.subscribe(topic_filter, handler, qos)

    def ack(self, message: Message) -> None:
        """Acknowledge a message received with ``manual_ack`` (after it is committed)."""
        self.connection.ack(message)

    # ------------------------------------------------------------------ request/response

    def request(
        self,
        topic: str,
        request: Event,
        reply_topic: str,
        reply_model: type[R],
        timeout: float = 5.0,
    ) -> R:
        """Publish ``request`` and wait for the reply whose ``request_id`` is its ``msg_id``.

        Not durable: a request nobody answers in time is abandoned (the caller decides
        what to do instead, e.g. issue an offline number), never replayed later.
        """
        return self._requests.request(topic, request, reply_topic, reply_model, timeout)
