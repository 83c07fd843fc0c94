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

Paho runs callbacks on its network thread while holding its internal lock: waiting, or
taking a lock another thread may hold while calling paho, deadlocks. Callbacks here only
hand work off (queues, futures); subscribers' handlers must do the same.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel

from protocol.decoding import InvalidMessage, decode
from protocol.messages import DeviceStatus, Event
from protocol.outbox import Outbox, OutboxItem
from protocol.settings import BrokerSettings
from protocol.topics import Topics

log = logging.getLogger(__name__)

Handler = Callable[[mqtt.MQTTMessage], None]
R = TypeVar("R", bound=BaseModel)


class LinkError(RuntimeError):
    pass


class NotConnected(LinkError):
    """The broker is unreachable right now."""


class RequestTimeout(LinkError):
    """No response arrived in time."""


def now_utc() -> datetime:
    return datetime.now(UTC)


def _check_topic(topic: str) -> None:
    if not topic or "+" in topic or "#" in topic or len(topic.encode()) > 65535:
        raise ValueError(f"not a topic one can publish to: {topic!r}")


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Small request/response messages must not wait for Nagle's algorithm and delayed
    ACKs (about 40 ms each way on Linux loopback); paho does not set TCP_NODELAY."""
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


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
        status_payload: Callable[[str], bytes] | None = None,
        max_inflight: int = 100,
        confirm: Literal["receipt", "puback"] = "receipt",
        resend_after_s: float = 30.0,
        announce_after_subscribe: bool = False,
    ) -> None:
        self.settings = settings
        self.device_id = device_id
        self.topics = Topics(site, settings.prefix)
        self.boot_id = uuid.uuid4()
        self.started_at = now_utc()
        self.connected = threading.Event()
        self._announce = announce_status
        self._status_topic = status_topic or self.topics.device_status(device_id)
        self._status_payload = status_payload or (lambda state: self._status(state).to_json())
        self._subs: dict[str, tuple[int, Handler]] = {}
        #: topic → handler, so paho's slow filter matching runs once per topic.
        self._route_cache: dict[str, Handler] = {}
        self._subs_ready = threading.Event()
        self._pending_subs: set[int] = set()
        self._early_subacks: set[int] = set()
        self._replies: dict[str, Future[bytes]] = {}
        self._reply_topics: set[str] = set()
        self._on_connect_hooks: list[Callable[[], None]] = []
        self._on_disconnect_hooks: list[Callable[[str], None]] = []
        #: Announce ``online`` only once every subscription is acknowledged, so retained
        #: messages on our subscriptions (the server's previous status) arrive first.
        self._announce_after_subscribe = announce_after_subscribe
        self._announce_due = False
        #: Set to keep the link from announcing itself again (it is giving up).
        self.silenced = False
        self._last_server_boot: str | None = None
        #: Set while the retained ``server/status`` says the server is online.
        self.server_online = threading.Event()
        self._outbox = Outbox(outbox_path) if outbox_path else None
        self._mid_lock = threading.Lock()
        self._mid_to_msg: dict[int, str] = {}
        self._acks: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self._acker: threading.Thread | None = None
        self._confirm = confirm
        self._resend_after_s = resend_after_s
        #: msg_id → when it was last handed to paho (monotonic), for unconfirmed events.
        self._sent_at: dict[str, float] = {}
        self._stopping = False

        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or device_id,
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
        if announce_status:
            c.will_set(self._status_topic, self._status_payload("offline"), qos=1, retain=True)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_publish = self._on_publish
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        c.on_socket_open = _no_delay
        self.client = c

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Connect in the background and keep reconnecting; replay the outbox."""
        if self._outbox is not None:
            self._acker = threading.Thread(target=self._ack_loop, name="outbox-acks", daemon=True)
            self._acker.start()
            if self._confirm == "receipt":
                self.subscribe(self.topics.device_receipt(self.device_id), self._on_receipt)
            for item in self._outbox.pending():
                self._replay(item)
        if self._announce and self._status_topic != self.topics.server_status():
            self.subscribe(self.topics.server_status(), self._on_server_status)
        self.client.connect_async(self.settings.host, self.settings.port, self.settings.keepalive_s)
        self.client.loop_start()

    def stop(self, *, announce_offline: bool = True) -> None:
        """Disconnect cleanly (publishing ``offline`` first) and stop the threads."""
        self._stopping = True
        if announce_offline and self._announce and not self.silenced and self.connected.is_set():
            info = self.client.publish(
                self._status_topic, self._status_payload("offline"), qos=1, retain=True
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout=2)
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()
        if self._acker is not None:
            self._acks.put(None)
            self._acker.join(timeout=5)
        if self._outbox is not None:
            self._outbox.close()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """True once connected and every subscription is acknowledged."""
        return self.connected.wait(timeout) and self._subs_ready.wait(timeout)

    def on_connected(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` (on paho's thread: hand work off only) after each (re)connect."""
        self._on_connect_hooks.append(hook)

    def on_disconnected(self, hook: Callable[[str], None]) -> None:
        """Run ``hook(reason)`` (on paho's thread: hand work off only) after each loss of
        the connection that was not asked for."""
        self._on_disconnect_hooks.append(hook)

    def resubscribe(self) -> None:
        """Send every subscription again (the broker may have lost them)."""
        if not self.connected.is_set():
            return
        self._subs_ready.clear()
        for topic_filter, (qos, _h) in list(self._subs.items()):
            rc, mid = self.client.subscribe(topic_filter, qos)
            if rc == mqtt.MQTT_ERR_SUCCESS:
                self._track_sub(mid)

    def _announce_online(self, client: mqtt.Client) -> None:
        self._announce_due = False
        if self._announce and not self.silenced:
            client.publish(self._status_topic, self._status_payload("online"), qos=1, retain=True)

    # ------------------------------------------------------------------ publishing

    def publish(
        self, topic: str, payload: bytes | BaseModel, *, qos: int = 1, retain: bool = False
    ) -> mqtt.MQTTMessageInfo:
        """Publish without the outbox (state, replies): lost if the process dies first."""
        data = (
            payload.model_dump_json(by_alias=True).encode()
            if isinstance(payload, BaseModel)
            else payload
        )
        return self.client.publish(topic, data, qos=qos, retain=retain)

    def publish_event(self, topic: str, event: Event, *, retain: bool = False) -> None:
        """Publish an event durably: stored first, deleted only on the broker's PUBACK."""
        if self._outbox is None:
            raise LinkError("this link has no outbox")
        _check_topic(topic)  # refuse before storing: a row paho cannot send would stay forever
        msg_id = str(event.msg_id)
        payload = event.to_json()
        self._outbox.add(msg_id, topic, payload, 1, retain)
        self._send(msg_id, topic, payload, 1, retain)

    def outbox_depth(self) -> int:
        return self._outbox.depth() if self._outbox is not None else 0

    def _send(self, msg_id: str, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        # Queued in paho even while disconnected; paho resends unacknowledged QoS 1
        # messages itself after a reconnect. The mid is registered under the lock the
        # acker takes, so a PUBACK that beats the registration waits for it. Taking our
        # lock around a paho call is safe because paho's thread never takes it.
        with self._mid_lock:
            info = self.client.publish(topic, payload, qos=qos, retain=retain)
            self._mid_to_msg[info.mid] = msg_id
            self._sent_at[msg_id] = time.monotonic()

    def _ack_loop(self) -> None:
        """Deletes confirmed events and resends unconfirmed ones; never a paho callback."""
        assert self._outbox is not None
        while True:
            try:
                first = self._acks.get(timeout=1.0)
            except queue.Empty:
                first = ("tick", None)
            if first is None:
                return
            batch = [first]
            stop = False
            while not stop:
                try:
                    nxt = self._acks.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                else:
                    batch.append(nxt)
            done: list[str] = []
            resend_all = False
            with self._mid_lock:
                for kind, value in batch:
                    if kind == "puback":
                        msg_id = self._mid_to_msg.pop(value, None)
                        if msg_id is not None and self._confirm == "puback":
                            done.append(msg_id)
                        elif msg_id is not None and msg_id in self._sent_at:
                            # The server's time to confirm starts when the broker has it.
                            self._sent_at[msg_id] = time.monotonic()
                    elif kind == "receipt":
                        done.extend(value)
                    elif kind == "resend":
                        resend_all = True
                for msg_id in done:
                    self._sent_at.pop(msg_id, None)
            if done:
                try:
                    self._outbox.remove(done)
                except Exception:  # closed at shutdown: the rows are replayed next start
                    log.exception("could not remove confirmed events from the outbox")
            if stop:
                return
            self._resend_unconfirmed(force=resend_all)

    def _resend_unconfirmed(self, force: bool = False) -> None:
        """Publish again events the server has not confirmed for a while."""
        if self._confirm != "receipt" or not self.connected.is_set() or self._outbox is None:
            return
        now = time.monotonic()
        with self._mid_lock:
            in_flight = set(self._mid_to_msg.values())
            due = [
                m
                for m, t in self._sent_at.items()
                if m not in in_flight and (force or now - t >= self._resend_after_s)
            ]
        if not due:
            return
        wanted = set(due)
        for item in self._outbox.pending():
            if item.msg_id in wanted:
                self._replay(item)

    def _replay(self, item: OutboxItem) -> None:
        """Send a stored event again; drop (loudly) a row that can never be sent, so one
        bad row cannot stop a device from booting."""
        try:
            self._send(item.msg_id, item.topic, item.payload, item.qos, item.retain)
        except ValueError as e:
            log.error("dropping unsendable outbox event %s on %r: %s", item.msg_id, item.topic, e)
            assert self._outbox is not None
            self._outbox.remove([item.msg_id])

    def _on_receipt(self, msg: mqtt.MQTTMessage) -> None:
        try:
            data = json.loads(msg.payload)
            ids = [str(uuid.UUID(str(m))) for m in data.get("msg_ids", [])]
        except (ValueError, TypeError, AttributeError):
            log.warning("unreadable receipt on %s", msg.topic)
            return
        self._acks.put(("receipt", ids))

    # ------------------------------------------------------------------ subscribing

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        """Call ``handler`` on paho's thread for every message on ``topic_filter``."""
        self._subs[topic_filter] = (qos, handler)
        self._route_cache = {}
        if self.connected.is_set():
            self._subs_ready.clear()
            rc, mid = self.client.subscribe(topic_filter, qos)
            if rc == mqtt.MQTT_ERR_SUCCESS:
                self._track_sub(mid)

    def _track_sub(self, mid: int) -> None:
        if mid in self._early_subacks:
            self._early_subacks.discard(mid)
        else:
            self._pending_subs.add(mid)
        if not self._pending_subs:
            self._subs_ready.set()
            if self._announce_due:
                self._announce_online(self.client)

    def ack(self, message: mqtt.MQTTMessage) -> None:
        """Acknowledge a message received with ``manual_ack`` (after it is committed)."""
        if message.qos > 0:
            self.client.ack(message.mid, message.qos)

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
        if not self.connected.is_set():
            raise NotConnected("broker unreachable")
        if reply_topic not in self._reply_topics:
            self._reply_topics.add(reply_topic)
            self.subscribe(reply_topic, self._on_reply)
            if not self._subs_ready.wait(timeout):
                raise RequestTimeout("subscription to the reply topic not acknowledged")
        key = str(request.msg_id)
        fut: Future[bytes] = Future()
        self._replies[key] = fut
        try:
            self.client.publish(topic, request.to_json(), qos=1)
            try:
                payload = fut.result(timeout)
            except FutureTimeout:
                raise RequestTimeout(f"no reply within {timeout:.1f} s") from None
        finally:
            self._replies.pop(key, None)
        try:
            return decode(reply_model, payload)
        except InvalidMessage as e:
            raise LinkError(f"invalid reply: {e}") from None

    def _on_reply(self, msg: mqtt.MQTTMessage) -> None:
        try:
            key = str(json.loads(msg.payload).get("request_id"))
        except (ValueError, AttributeError):
            log.warning("unreadable reply on %s", msg.topic)
            return
        fut = self._replies.get(key)
        if fut is not None and not fut.done():
            fut.set_result(msg.payload)

    # ------------------------------------------------------------------ paho callbacks

    def _status(self, state: str) -> DeviceStatus:
        return DeviceStatus(
            device_id=self.device_id,
            state=state,  # type: ignore[arg-type]
            boot_id=self.boot_id,
            since=self.started_at,
        )

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.error(
                "MQTT connection refused by %s:%s: %s",
                self.settings.host,
                self.settings.port,
                reason,
            )
            return
        log.info(
            "MQTT connected to %s:%s as %s", self.settings.host, self.settings.port, self.device_id
        )
        self.connected.set()
        if self._announce_after_subscribe and self._subs:
            self._announce_due = True
        else:
            self._announce_online(client)
        self._pending_subs.clear()
        if self._subs:
            self._subs_ready.clear()
            for topic_filter, (qos, _h) in list(self._subs.items()):
                rc, mid = client.subscribe(topic_filter, qos)
                if rc == mqtt.MQTT_ERR_SUCCESS:
                    self._track_sub(mid)
        else:
            self._subs_ready.set()
        for hook in self._on_connect_hooks:
            try:
                hook()
            except Exception:
                log.exception("on-connect hook failed")

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        for r in reasons:
            if getattr(r, "is_failure", False):
                log.error("subscription refused by the broker (mid %s): %s", mid, r)
        if mid in self._pending_subs:
            self._pending_subs.discard(mid)
        else:  # the SUBACK beat the registration (see _track_sub)
            self._early_subacks.add(mid)
        if not self._pending_subs:
            self._subs_ready.set()
            if self._announce_due:
                self._announce_online(client)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self.connected.clear()
        self._subs_ready.clear()
        self._announce_due = False
        if not self._stopping:
            log.warning("MQTT connection lost (%s); reconnecting with back-off", reason)
            for hook in self._on_disconnect_hooks:
                try:
                    hook(str(reason))
                except Exception:
                    log.exception("on-disconnect hook failed")

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, properties: Any
    ) -> None:
        self._acks.put(("puback", mid))

    def _handler_for(self, topic: str) -> Handler | None:
        handler = self._route_cache.get(topic)
        if handler is None:
            for topic_filter, (_qos, h) in list(self._subs.items()):
                if mqtt.topic_matches_sub(topic_filter, topic):
                    handler = h
                    if len(self._route_cache) < 10_000:
                        self._route_cache[topic] = h
                    break
        return handler

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        handler = self._handler_for(msg.topic)
        if handler is None:
            log.debug("message on %s matched no subscription", msg.topic)
            return
        try:
            handler(msg)
        except Exception:
            log.exception("handler for %s failed", msg.topic)

    def _on_server_status(self, msg: mqtt.MQTTMessage) -> None:
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
            if not first:  # a restarted server may have lost what it had not committed
                self._acks.put(("resend", None))
            if not first and self._status_topic != msg.topic:
                self.client.publish(
                    self._status_topic, self._status_payload("online"), qos=1, retain=True
                )
