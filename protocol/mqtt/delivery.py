"""Durable delivery of events through the SQLite `Outbox`.

An event is stored before it is handed to paho, and deleted when it is confirmed: by the
server's receipt (``confirm="receipt"``, the default: the server sends it after its
commit) or by the broker's PUBACK (``confirm="puback"``). paho resends unacknowledged
events after a reconnect; we resend unconfirmed ones after a restart, when the server
comes back with a new boot id, and after ``resend_after_s`` without a receipt.

Separate from the connection because it is the link's only state on disk and its only
thread of its own: paho's callbacks put a typed `AckEvent` on a queue, and the ack loop
(never a paho callback) deletes confirmed rows and resends the rest.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Literal

from protocol.messages import Event
from protocol.mqtt.connection import Connection
from protocol.mqtt.message import Message
from protocol.outbox import Outbox, OutboxItem

log = logging.getLogger(__name__)

#: How long the ack loop sleeps without news before it looks for events to resend.
TICK_S = 1.0


@dataclass(frozen=True, slots=True)
class PubAck:
    """The broker acknowledged the publish with this paho ``mid``."""

    mid: int


@dataclass(frozen=True, slots=True)
class Receipt:
    """The server confirmed these events (after its commit)."""

    msg_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resend:
    """Publish every unconfirmed event again now (the server restarted), or, with
    ``force=False``, only those unconfirmed for ``resend_after_s`` (a periodic tick)."""

    force: bool = True


AckEvent = PubAck | Receipt | Resend


def check_topic(topic: str) -> None:
    """Refuse a topic paho cannot publish to, before anything is stored for it."""
    if not topic or "+" in topic or "#" in topic or len(topic.encode()) > 65535:
        raise ValueError(f"not a topic one can publish to: {topic!r}")


class Delivery:
    """The outbox of one link, the paho mid → msg_id map, and the thread that confirms."""

    def __init__(
        self,
        connection: Connection,
        outbox: Outbox,
        *,
        confirm: Literal["receipt", "puback"] = "receipt",
        resend_after_s: float = 30.0,
    ) -> None:
        self._conn = connection
        self._outbox = outbox
        self._confirm = confirm
        self._resend_after_s = resend_after_s
        self._mid_lock = threading.Lock()
        self._mid_to_msg: dict[int, str] = {}
        #: msg_id → when it was last handed to paho (monotonic), for unconfirmed events.
        self._sent_at: dict[str, float] = {}
        #: None asks the ack loop to stop.
        self._acks: queue.SimpleQueue[AckEvent | None] = queue.SimpleQueue()
        self._acker: threading.Thread | None = None
        connection.on_puback(lambda mid: self._acks.put(PubAck(mid)))
        connection.on_server_restarted(lambda: self._acks.put(Resend()))

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the ack loop, listen for receipts and replay what the outbox still holds."""
        self._acker = threading.Thread(target=self._ack_loop, name="outbox-acks", daemon=True)
        self._acker.start()
        if self._confirm == "receipt":
            device_id = self._conn.device_id
            self._conn.subscribe(self._conn.topics.device_receipt(device_id), self._on_receipt)
        for item in self._outbox.pending():
            self._replay(item)

    def stop(self) -> None:
        """Stop the ack loop and close the outbox (after the connection stopped)."""
        if self._acker is not None:
            self._acks.put(None)
            self._acker.join(timeout=5)
        self._outbox.close()

    # ------------------------------------------------------------------ publishing

    def publish_event(self, topic: str, event: Event, *, retain: bool = False) -> None:
        """Publish an event durably: stored first, deleted only once it is confirmed."""
        check_topic(topic)  # refuse before storing: a row paho cannot send would stay forever
        msg_id = str(event.msg_id)
        payload = event.to_json()
        self._outbox.add(msg_id, topic, payload, 1, retain)
        self._send(msg_id, topic, payload, 1, retain)

    def depth(self) -> int:
        return self._outbox.depth()

    def _send(self, msg_id: str, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        # Queued in paho even while disconnected; paho resends unacknowledged QoS 1
        # messages itself after a reconnect. The mid is registered under the lock the
        # acker takes, so a PUBACK that beats the registration waits for it. Taking our
        # lock around a paho call is safe because paho's thread never takes it.
        with self._mid_lock:
            mid = self._conn.publish(topic, payload, qos=qos, retain=retain)
            self._mid_to_msg[mid] = msg_id
            self._sent_at[msg_id] = time.monotonic()

    def _replay(self, item: OutboxItem) -> None:
        """Send a stored event again; drop (loudly) a row that can never be sent, so one
        bad row cannot stop a device from booting."""
        try:
            self._send(item.msg_id, item.topic, item.payload, item.qos, item.retain)
        except ValueError as e:
            log.error("dropping unsendable outbox event %s on %r: %s", item.msg_id, item.topic, e)
            self._outbox.remove([item.msg_id])

    def _on_receipt(self, msg: Message) -> None:
        try:
            data = json.loads(msg.payload)
            ids = tuple(str(uuid.UUID(str(m))) for m in data.get("msg_ids", []))
        except (ValueError, TypeError, AttributeError):
            log.warning("unreadable receipt on %s", msg.topic)
            return
        self._acks.put(Receipt(ids))

    # ------------------------------------------------------------------ the ack loop

    def _ack_loop(self) -> None:
        """Deletes confirmed events and resends unconfirmed ones; never a paho callback."""
        while True:
            batch, stop = self._next_batch()
            if not batch and stop:
                return
            done, force = self._apply(batch)
            if done:
                try:
                    self._outbox.remove(done)
                except Exception:  # closed at shutdown: the rows are replayed next start
                    log.exception("could not remove confirmed events from the outbox")
            if stop:
                return
            self._resend_unconfirmed(force=force)

    def _next_batch(self) -> tuple[list[AckEvent], bool]:
        """Wait for the next event (a tick after `TICK_S`), then take all that queued up.
        The flag says the loop was asked to stop."""
        try:
            first = self._acks.get(timeout=TICK_S)
        except queue.Empty:
            first = Resend(force=False)
        if first is None:
            return [], True
        batch: list[AckEvent] = [first]
        while True:
            try:
                nxt = self._acks.get_nowait()
            except queue.Empty:
                return batch, False
            if nxt is None:
                return batch, True
            batch.append(nxt)

    def _apply(self, batch: list[AckEvent]) -> tuple[list[str], bool]:
        """The msg_ids now confirmed, and whether to resend every unconfirmed event."""
        done: list[str] = []
        force = False
        with self._mid_lock:
            for event in batch:
                if isinstance(event, PubAck):
                    self._on_puback(event.mid, done)
                elif isinstance(event, Receipt):
                    done.extend(event.msg_ids)
                else:
                    force = force or event.force
            for msg_id in done:
                self._sent_at.pop(msg_id, None)
        return done, force

    def _on_puback(self, mid: int, done: list[str]) -> None:
        """Under ``_mid_lock``: a PUBACK confirms (``confirm="puback"``) or starts the
        server's time to confirm."""
        msg_id = self._mid_to_msg.pop(mid, None)
        if msg_id is not None and self._confirm == "puback":
            done.append(msg_id)
        elif msg_id is not None and msg_id in self._sent_at:
            # The server's time to confirm starts when the broker has it.
            self._sent_at[msg_id] = time.monotonic()

    def _resend_unconfirmed(self, force: bool = False) -> None:
        """Publish again events the server has not confirmed for a while."""
        if self._confirm != "receipt" or not self._conn.connected.is_set():
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
