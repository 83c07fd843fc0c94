"""The paho connection of one device (or of the server): log-in, TLS, reconnect,
subscriptions and presence.

* per-device username/password, optional TLS, a fixed client id and a persistent
  session, so replies queued while a device was away still arrive;
* automatic reconnect with exponential back-off (paho's own loop, started with
  ``connect_async`` so a device can boot while the broker is down);
* subscriptions routed to their handlers through a topic → handler cache (paho's filter
  matching is slow), with SUBACK tracking so `wait_connected` means "subscribed too";
* presence: a retained ``online``/``offline`` status with a boot id, ``offline`` set as
  the Last Will, and `server_online` following the server's retained status.

Separate from delivery and request/response, which only publish and subscribe through
it. Paho runs callbacks on its network thread while holding its internal lock: waiting,
or taking a lock another thread may hold while calling paho, deadlocks. Callbacks here
only hand work off (queues, futures, events); subscribers' handlers must do the same.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
import uuid
from collections.abc import Callable
from typing import Any, Literal, TypedDict

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocol.clock import now_utc
from protocol.messages import DeviceStatus
from protocol.mqtt.message import Handler, Message, unshared
from protocol.mqtt.refusals import RefusalLog, refused_codes
from protocol.settings import BrokerSettings
from protocol.topics import SPEC, TopicKind, Topics

log = logging.getLogger(__name__)

#: What a device's retained status says about it.
PresenceState = Literal["online", "offline"]


class PresenceFlags(TypedDict):
    qos: int
    retain: bool


#: Topics remembered by the routing cache (a bound, against a flood of distinct topics).
ROUTE_CACHE_MAX = 10_000


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Small request/response messages must not wait for Nagle's algorithm and delayed
    ACKs (about 40 ms each way on Linux loopback); paho does not set TCP_NODELAY."""
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _message(msg: mqtt.MQTTMessage) -> Message:
    """paho's message as the `Message` handlers receive."""
    return Message(msg.topic, bytes(msg.payload), bool(msg.retain), msg.qos, msg.mid)


class Connection:
    """One MQTT connection: the paho client, its subscriptions and its presence."""

    def __init__(
        self,
        settings: BrokerSettings,
        topics: Topics,
        device_id: str,
        *,
        manual_ack: bool = False,
        clean_session: bool = False,
        client_id: str | None = None,
        announce_status: bool = True,
        status_topic: str | None = None,
        status_payload: Callable[[PresenceState], bytes] | None = None,
        max_inflight: int = 100,
        announce_after_subscribe: bool = False,
    ) -> None:
        self.settings = settings
        self.device_id = device_id
        self.topics = topics
        self.boot_id = uuid.uuid4()
        self.started_at = now_utc()
        self.connected = threading.Event()
        self._announce = announce_status
        self.status_topic = status_topic or topics.device_status(device_id)
        #: Presence (status and Last Will) is published as the topic table says.
        presence = SPEC[TopicKind.SERVER_STATUS if status_topic else TopicKind.DEVICE_STATUS]
        self._presence_flags: PresenceFlags = {
            "qos": presence.qos,
            "retain": presence.retained,
        }
        self._status_payload = status_payload or self._default_status_payload
        self.subs: dict[str, tuple[int, Handler]] = {}
        #: topic → handler, so paho's slow filter matching runs once per topic.
        self._route_cache: dict[str, Handler] = {}
        self.subs_ready = threading.Event()
        self._pending_subs: set[int] = set()
        self._early_subacks: set[int] = set()
        self._on_connect_hooks: list[Callable[[], None]] = []
        self._on_disconnect_hooks: list[Callable[[str], None]] = []
        self._on_puback_hooks: list[Callable[[int], None]] = []
        self._on_server_restart_hooks: list[Callable[[], None]] = []
        self._on_sub_refused_hooks: list[Callable[[str], None]] = []
        #: mid of a SUBSCRIBE not yet acknowledged → its topic filter.
        self._sub_topics: dict[int, str] = {}
        self.refusals = RefusalLog(settings.host, settings.port, settings.username)
        #: Announce ``online`` only once every subscription is acknowledged, so retained
        #: messages on our subscriptions (the server's previous status) arrive first.
        self._announce_after_subscribe = announce_after_subscribe
        self._announce_due = False
        #: Set to keep the link from announcing itself again (it is giving up).
        self.silenced = False
        self._last_server_boot: str | None = None
        #: Set while the retained ``server/status`` says the server is online.
        self.server_online = threading.Event()
        self._stopping = False
        self.client = self._make_client(
            client_id or device_id, clean_session, manual_ack, max_inflight
        )

    def _make_client(
        self, client_id: str, clean_session: bool, manual_ack: bool, max_inflight: int
    ) -> mqtt.Client:
        settings = self.settings
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean_session,
            protocol=mqtt.MQTTv311,
            manual_ack=manual_ack,
        )
        if settings.username:
            password = settings.password.get_secret_value() if settings.password else None
            c.username_pw_set(settings.username, password)
        if settings.tls_ca_file:
            c.tls_set(ca_certs=str(settings.tls_ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        c.reconnect_delay_set(settings.reconnect_min_s, settings.reconnect_max_s)
        c.max_inflight_messages_set(max_inflight)
        c.max_queued_messages_set(0)
        if self._announce:
            c.will_set(
                self.status_topic,
                self._status_payload("offline"),
                **self._presence_flags,
            )
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        c.on_socket_open = _no_delay
        return c

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Connect in the background and keep reconnecting."""
        if self._announce and self.status_topic != self.topics.server_status():
            self.subscribe(self.topics.server_status(), self._on_server_status)
        self.client.connect_async(self.settings.host, self.settings.port, self.settings.keepalive_s)
        self.client.loop_start()

    def stop(self, *, announce_offline: bool = True) -> None:
        """Disconnect cleanly (publishing ``offline`` first) and stop paho's thread."""
        self._stopping = True
        if announce_offline and self._announce and not self.silenced and self.connected.is_set():
            info = self.client.publish(
                self.status_topic,
                self._status_payload("offline"),
                **self._presence_flags,
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=2)
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """True once connected and every subscription is acknowledged."""
        return self.connected.wait(timeout) and self.subs_ready.wait(timeout)

    def on_connected(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` (on paho's thread: hand work off only) after each (re)connect."""
        self._on_connect_hooks.append(hook)

    def on_disconnected(self, hook: Callable[[str], None]) -> None:
        """Run ``hook(reason)`` (on paho's thread: hand work off only) after each loss of
        the connection that was not asked for."""
        self._on_disconnect_hooks.append(hook)

    def on_puback(self, hook: Callable[[int], None]) -> None:
        """Run ``hook(mid)`` (on paho's thread) when the broker acknowledges a publish."""
        self._on_puback_hooks.append(hook)

    def on_server_restarted(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` (on paho's thread) when the server comes back with a new boot id:
        it may have lost what it had not committed."""
        self._on_server_restart_hooks.append(hook)

    def on_subscription_refused(self, hook: Callable[[str], None]) -> None:
        """Run ``hook(topic_filter)`` (on paho's thread) when the broker refuses a
        subscription (SUBACK 0x80 or an MQTT 5 failure: its ACL does not allow it)."""
        self._on_sub_refused_hooks.append(hook)

    # ------------------------------------------------------------------ publishing

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> int:
        """Hand a message to paho (queued while disconnected); returns its mid."""
        mid: int = self.client.publish(topic, payload, qos=qos, retain=retain).mid
        return mid

    # ------------------------------------------------------------------ subscribing

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        """Call ``handler`` on paho's thread for every message on ``topic_filter``."""
        self.subs[topic_filter] = (qos, handler)
        self._route_cache = {}
        if self.connected.is_set():
            self.subs_ready.clear()
            rc, mid = self.client.subscribe(topic_filter, qos)
            if rc == mqtt.MQTT_ERR_SUCCESS and mid is not None:
                self._sub_topics[mid] = topic_filter
                self._track_sub(mid)

    def resubscribe(self) -> None:
        """Send every subscription again (the broker may have lost them)."""
        if not self.connected.is_set():
            return
        self.subs_ready.clear()
        self._send_subscriptions(self.client)

    def _send_subscriptions(self, client: mqtt.Client) -> None:
        for topic_filter, (qos, _h) in list(self.subs.items()):
            rc, mid = client.subscribe(topic_filter, qos)
            if rc == mqtt.MQTT_ERR_SUCCESS and mid is not None:
                self._sub_topics[mid] = topic_filter
                self._track_sub(mid)

    def _track_sub(self, mid: int) -> None:
        if mid in self._early_subacks:
            self._early_subacks.discard(mid)
        else:
            self._pending_subs.add(mid)
        if not self._pending_subs:
            self.subs_ready.set()
            if self._announce_due:
                self._announce_online(self.client)

    def ack(self, message: Message) -> None:
        """Acknowledge a message received with ``manual_ack`` (after it is committed)."""
        if message.qos > 0:
            self.client.ack(message.mid, message.qos)

    # ------------------------------------------------------------------ presence

    def _default_status_payload(self, state: PresenceState) -> bytes:
        return self._status(state).to_json()

    def _status(self, state: PresenceState) -> DeviceStatus:
        return DeviceStatus(
            device_id=self.device_id,
            state=state,
            boot_id=self.boot_id,
            since=self.started_at,
        )

    def _announce_online(self, client: mqtt.Client) -> None:
        self._announce_due = False
        if self._announce and not self.silenced:
            client.publish(
                self.status_topic,
                self._status_payload("online"),
                **self._presence_flags,
            )

    def _on_server_status(self, msg: Message) -> None:
        """Re-announce when the server comes back (it may have missed our status)."""
        try:
            data = json.loads(msg.payload)
        except ValueError:
            return
        if data.get("state") == "online":
            self.server_online.set()
        else:
            self.server_online.clear()
        if data.get("state") == "online" and data.get("boot_id") != self._last_server_boot:
            first = self._last_server_boot is None
            self._last_server_boot = data.get("boot_id")
            if first:
                return
            for hook in self._on_server_restart_hooks:
                hook()
            if self.status_topic != msg.topic:
                self.client.publish(
                    self.status_topic,
                    self._status_payload("online"),
                    **self._presence_flags,
                )

    # ------------------------------------------------------------------ paho callbacks

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            self.refusals.refused(reason)
            return
        self.refusals.connected()
        log.info(
            "MQTT connected to %s:%s as %s", self.settings.host, self.settings.port, self.device_id
        )
        self.connected.set()
        if self._announce_after_subscribe and self.subs:
            self._announce_due = True
        else:
            self._announce_online(client)
        self._pending_subs.clear()
        self._sub_topics.clear()
        if self.subs:
            self.subs_ready.clear()
            self._send_subscriptions(client)
        else:
            self.subs_ready.set()
        for hook in self._on_connect_hooks:
            try:
                hook()
            except Exception:
                log.exception("on-connect hook failed")

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        topic_filter = self._sub_topics.pop(mid, None)
        failures = refused_codes(reasons)
        if failures:
            log.error("subscription to %s refused by the broker: %s", topic_filter, failures[0])
            for refused_hook in self._on_sub_refused_hooks:
                refused_hook(topic_filter or "")
        if mid in self._pending_subs:
            self._pending_subs.discard(mid)
        else:  # the SUBACK beat the registration (see _track_sub)
            self._early_subacks.add(mid)
        if not self._pending_subs:
            self.subs_ready.set()
            if self._announce_due:
                self._announce_online(client)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self.connected.clear()
        self.subs_ready.clear()
        self._announce_due = False
        if not self._stopping:
            # After a refused log-in the broker closes the socket: the refusal is logged
            # (once), so this says nothing new at each retry.
            lost = log.debug if self.refusals.current is not None else log.warning
            lost("MQTT connection lost (%s); reconnecting with back-off", reason)
            for hook in self._on_disconnect_hooks:
                try:
                    hook(str(reason))
                except Exception:
                    log.exception("on-disconnect hook failed")

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, properties: Any
    ) -> None:
        for hook in self._on_puback_hooks:
            hook(mid)

    def _handler_for(self, topic: str) -> Handler | None:
        handler = self._route_cache.get(topic)
        if handler is None:
            for topic_filter, (_qos, h) in list(self.subs.items()):
                if mqtt.topic_matches_sub(unshared(topic_filter), topic):
                    handler = h
                    if len(self._route_cache) < ROUTE_CACHE_MAX:
                        self._route_cache[topic] = h
                    break
        return handler

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        topic = msg.topic
        handler = self._handler_for(topic)
        if handler is None:
            log.debug("message on %s matched no subscription", topic)
            client.ack(msg.mid, msg.qos)  # nobody else will (manual acks): never leave it stuck
            return
        try:
            handler(_message(msg))
        except Exception:
            log.exception("handler for %s failed", topic)
