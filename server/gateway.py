"""The MQTT gateway: turns device messages into committed changes, and answers.

For every inbound message, in order:

1. classify the topic, check the size, decode UTF-8 and JSON, validate the model;
2. check the sender: the id in the topic, the id in the payload and the device's kind
   and desk in the site configuration must agree;
3. deduplicate on ``msg_id`` (QoS 1 redelivery and outbox replays have no effect; a
   replayed ticket request gets its original answer again);
4. apply it (issue a number, store a rating, update a device) in a savepoint of the
   batch's transaction;
5. commit, then acknowledge (manual PUBACK), then publish replies and the new state.

A refused message is stored in ``rejected_messages``, reported on ``server/rejected``
with its reason, acknowledged (so it is not redelivered forever) and never stops the
gateway. If the database is unavailable, the batch is retried with back-off and
nothing is acknowledged until it commits.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from protocol.link import MqttLink
from protocol.messages import (
    MAX_PAYLOAD_BYTES,
    DeskRating,
    DeviceHealth,
    DeviceStatus,
    InvalidMessage,
    Refusal,
    Rejected,
    TicketRequest,
    TicketResponse,
    VisitRating,
    decode,
    excerpt,
)
from protocol.topics import TopicKind
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import DeskRow, DeviceRow, ProcessedMessageRow, RejectedMessageRow, TicketRow
from server.publisher import StatePublisher
from server.queue.engine import Changes, QueueEngine, QueueError
from server.ratings import RatingRefused, apply_rating
from server.timeutil import now_utc

log = logging.getLogger(__name__)

BATCH_MAX = 500
HOUSEKEEPING_EVERY_S = 30.0


class Refused(Exception):
    def __init__(self, code: str, detail: str, *, reply: Refusal | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.reply = reply


@dataclass
class Inbound:
    topic: str
    payload: bytes
    received_at: datetime
    message: mqtt.MQTTMessage | None = None


@dataclass
class _Outcome:
    replies: list[tuple[str, bytes]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)


@dataclass
class GatewayHealth:
    processed: int = 0
    rejected: int = 0
    db_ok: bool = True
    last_error: str | None = None
    last_batch_at: datetime | None = None


_REPUBLISH = object()


class Gateway:
    def __init__(
        self,
        config: SiteConfig,
        db: Database,
        engine: QueueEngine,
        publisher: StatePublisher,
        link: MqttLink | None,
    ) -> None:
        self.config = config
        self.db = db
        self.engine = engine
        self.publisher = publisher
        self.link = link
        self.topics = config.topics
        self.health = GatewayHealth()
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_housekeeping = 0.0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        with self.db.write() as s:
            self.engine.ensure_desks(s)
        if self.link is not None:
            for topic_filter in self.topics.server_inbound_filters():
                self.link.subscribe(topic_filter, self._enqueue)
            self.link.on_connected(lambda: self._inbox.put(_REPUBLISH))
        self._thread = threading.Thread(target=self._run, name="gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._inbox.put(None)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def queue_depth(self) -> int:
        return self._inbox.qsize()

    def _enqueue(self, msg: mqtt.MQTTMessage) -> None:
        # On paho's thread: hand off only.
        self._inbox.put(Inbound(msg.topic, bytes(msg.payload), now_utc(), msg))

    # ------------------------------------------------------------------ worker

    def _run(self) -> None:
        while not self._stop.is_set():
            batch: list[Inbound] = []
            republish = False
            try:
                item = self._inbox.get(timeout=1.0)
            except queue.Empty:
                item = None
            while item is not None:
                if item is _REPUBLISH:
                    republish = True
                elif isinstance(item, Inbound):
                    batch.append(item)
                if len(batch) >= BATCH_MAX:
                    break
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    item = None
            try:
                if republish:
                    self._republish_all()
                if batch:
                    self.handle_batch(batch)
                if time.monotonic() >= self._next_housekeeping:
                    self._next_housekeeping = time.monotonic() + HOUSEKEEPING_EVERY_S
                    self.housekeeping()
            except Exception:  # never let the worker die
                log.exception("gateway worker error")

    def _republish_all(self) -> None:
        if self.link is not None:
            self.publisher.publish(self.publisher.everything())

    def handle_batch(self, batch: list[Inbound]) -> _Outcome:
        """Process, commit (retrying while the database is down), ack, publish."""
        delay = 0.5
        while True:
            try:
                outcome = self._process(batch)
                self.health.db_ok = True
                break
            except (OperationalError, InterfaceError) as e:
                self.health.db_ok = False
                self.health.last_error = f"database: {e.__class__.__name__}"
                log.error(
                    "database error, batch of %d kept unacknowledged; retrying in %.1f s: %s",
                    len(batch),
                    delay,
                    e,
                )
                if self._stop.wait(delay):
                    return _Outcome()
                delay = min(delay * 2, 10.0)
        if self.link is not None:
            for item in batch:
                if item.message is not None:
                    self.link.ack(item.message)
            for topic, payload in outcome.replies:
                self.link.publish(topic, payload, qos=1)
            for rej in outcome.rejected:
                self.link.publish(self.topics.server_rejected(), rej, qos=1)
        self.health.processed += len(batch) - len(outcome.rejected)
        self.health.rejected += len(outcome.rejected)
        self.health.last_batch_at = now_utc()
        try:
            self.publisher.publish(outcome.changes)
        except Exception:
            log.exception("publishing state failed")
        return outcome

    def _process(self, batch: list[Inbound]) -> _Outcome:
        out = _Outcome()
        with self.db.write() as s:
            for item in batch:
                changes = Changes()
                try:
                    with s.begin_nested():
                        self._handle(s, item, out, changes)
                    out.changes.merge(changes)
                except Refused as r:
                    self._reject(out, item, r.code, r.detail)
                    if r.reply is not None:
                        out.replies.append(self._refusal_reply(item, r.reply))
                except IntegrityError as e:  # a concurrent server took the same msg_id first
                    self._reject(out, item, "conflict", f"not applied: {e.orig}"[:300])
                except (OperationalError, InterfaceError):
                    raise
                except Exception as e:
                    log.exception("unexpected error handling %s", item.topic)
                    self._reject(out, item, "internal_error", f"{e.__class__.__name__}: {e}"[:300])
            for rej in out.rejected:
                s.add(
                    RejectedMessageRow(
                        site=self.config.site.code,
                        received_at=rej.at,
                        topic=rej.topic[:300],
                        reason=rej.reason,
                        detail=rej.detail,
                        excerpt=rej.excerpt,
                        device_id=rej.device_id,
                        msg_id=str(rej.msg_id) if rej.msg_id else None,
                    )
                )
        return out

    # ------------------------------------------------------------------ handling

    def _handle(self, s: Session, item: Inbound, out: _Outcome, changes: Changes) -> None:
        match = self.topics.parse(item.topic)
        if match is None:
            raise Refused("unknown_topic", "not a topic the server accepts")
        if not item.payload and match.kind in (TopicKind.DEVICE_STATUS, TopicKind.DEVICE_HEALTH):
            return  # a retained message being cleared
        if len(item.payload) > MAX_PAYLOAD_BYTES:
            raise Refused("too_large", f"{len(item.payload)} bytes > {MAX_PAYLOAD_BYTES}")
        ident = match.ident or ""
        kind = match.kind
        if kind is TopicKind.TICKET_REQUEST:
            self._ticket_request(s, item, ident, out, changes)
        elif kind is TopicKind.DESK_RATING:
            self._desk_rating(s, item, ident, changes)
        elif kind is TopicKind.KIOSK_RATING:
            self._kiosk_rating(s, item, ident, changes)
        elif kind is TopicKind.DEVICE_STATUS:
            self._device_status(s, item, ident)
        elif kind is TopicKind.DEVICE_HEALTH:
            self._device_health(s, item, ident)
        elif kind is TopicKind.TICKET_OFFLINE:
            raise Refused("not_supported", "offline ticket merging is not enabled on this server")
        else:
            raise Refused("unknown_topic", f"the server does not accept {kind.value} messages")

    def _decode(self, model: type[Any], item: Inbound) -> Any:
        try:
            return decode(model, item.payload)
        except InvalidMessage as e:
            raise Refused(e.code, e.detail) from None

    def _check_device(self, device_id: str, topic_id: str, kind: str) -> None:
        dev = self.config.device_by_id.get(topic_id)
        if dev is None:
            raise Refused("unknown_device", f"no device {topic_id!r} in the site configuration")
        if dev.kind != kind:
            raise Refused("wrong_device_kind", f"{topic_id!r} is a {dev.kind}, not a {kind}")
        if device_id != topic_id:
            raise Refused(
                "device_mismatch", f"payload device_id {device_id!r} ≠ topic id {topic_id!r}"
            )

    def _seen(self, s: Session, msg_id: uuid.UUID) -> ProcessedMessageRow | None:
        return s.get(ProcessedMessageRow, msg_id)

    def _ticket_request(
        self, s: Session, item: Inbound, kiosk_id: str, out: _Outcome, changes: Changes
    ) -> None:
        req: TicketRequest = self._decode(TicketRequest, item)
        self._check_device(req.device_id, kiosk_id, "kiosk")
        reply_topic = self.topics.ticket_response(kiosk_id)
        seen = self._seen(s, req.msg_id)
        if seen is not None:
            if seen.response is not None:
                out.replies.append((reply_topic, json.dumps(seen.response).encode()))
            raise Refused(
                "duplicate", f"msg_id {req.msg_id} already processed; original answer re-sent"
            )
        age = (item.received_at - req.sent_at).total_seconds()
        ttl = self.config.calling.request_ttl_s
        if age > ttl:
            raise Refused(
                "request_expired",
                f"request is {age:.0f} s old (limit {ttl} s)",
                reply=Refusal(
                    code="request_expired",
                    message="Yêu cầu đã quá hạn",
                    message_en="request expired",
                ),
            )
        try:
            ticket = self.engine.issue(
                s, req.service, req.priority, kiosk_id=kiosk_id, changes=changes
            )
        except QueueError as e:
            raise Refused(
                e.code,
                e.message_en or e.message,
                reply=Refusal(code=e.code, message=e.message, message_en=e.message_en),
            ) from None
        response = TicketResponse(request_id=req.msg_id, ok=True, ticket=ticket)
        s.add(
            ProcessedMessageRow(
                msg_id=req.msg_id,
                kind="ticket_request",
                device_id=kiosk_id,
                received_at=item.received_at,
                response=response.model_dump(mode="json", by_alias=True),
            )
        )
        s.flush()
        out.replies.append((reply_topic, response.to_json()))

    def _refusal_reply(self, item: Inbound, refusal: Refusal) -> tuple[str, bytes]:
        match = self.topics.parse(item.topic)
        try:
            request_id = uuid.UUID(str(json.loads(item.payload)["msg_id"]))
        except (ValueError, KeyError, TypeError):
            request_id = uuid.UUID(int=0)
        assert match is not None and match.ident is not None
        reply = TicketResponse(request_id=request_id, ok=False, refusal=refusal)
        return self.topics.ticket_response(match.ident), reply.to_json()

    def _store_rating(
        self,
        s: Session,
        item: Inbound,
        rating: DeskRating | VisitRating,
        desk_id: str | None,
        changes: Changes,
    ) -> None:
        if self._seen(s, rating.msg_id) is not None:
            raise Refused("duplicate", f"msg_id {rating.msg_id} already processed")
        try:
            row = apply_rating(
                s, self.config, rating, desk_id=desk_id, received_at=item.received_at
            )
        except RatingRefused as e:
            raise Refused(e.code, e.detail) from None
        s.add(
            ProcessedMessageRow(
                msg_id=rating.msg_id,
                kind="rating",
                device_id=rating.device_id,
                received_at=item.received_at,
            )
        )
        s.flush()
        changes.stats.add(row.desk_id)
        changes.desks.add(row.desk_id)

    def _desk_rating(self, s: Session, item: Inbound, desk_id: str, changes: Changes) -> None:
        rating: DeskRating = self._decode(DeskRating, item)
        if desk_id not in self.config.desk_by_id:
            raise Refused("unknown_desk", f"no desk {desk_id!r}")
        pad = self.config.pad_of_desk.get(desk_id)
        if rating.device_id != pad:
            raise Refused(
                "not_desk_pad", f"{rating.device_id!r} is not the pad of desk {desk_id!r}"
            )
        self._store_rating(s, item, rating, desk_id, changes)

    def _kiosk_rating(self, s: Session, item: Inbound, kiosk_id: str, changes: Changes) -> None:
        rating: VisitRating = self._decode(VisitRating, item)
        self._check_device(rating.device_id, kiosk_id, "kiosk")
        self._store_rating(s, item, rating, None, changes)

    def _device_row(self, s: Session, device_id: str) -> DeviceRow:
        if device_id not in self.config.device_by_id:
            raise Refused("unknown_device", f"no device {device_id!r} in the site configuration")
        row = s.get(DeviceRow, (self.config.site.code, device_id))
        if row is None:
            row = DeviceRow(site=self.config.site.code, device_id=device_id, status="offline")
            s.add(row)
        return row

    def _device_status(self, s: Session, item: Inbound, device_id: str) -> None:
        status: DeviceStatus = self._decode(DeviceStatus, item)
        if status.device_id != device_id:
            raise Refused(
                "device_mismatch",
                f"payload device_id {status.device_id!r} ≠ topic id {device_id!r}",
            )
        row = self._device_row(s, device_id)
        boot = str(status.boot_id)
        if status.state == "offline" and row.boot_id not in (None, boot):
            return  # a stale Last Will from an earlier session of the device
        row.status = status.state
        row.boot_id = boot
        row.status_since = status.since if status.state == "online" else item.received_at
        row.last_seen = item.received_at

    def _device_health(self, s: Session, item: Inbound, device_id: str) -> None:
        health: DeviceHealth = self._decode(DeviceHealth, item)
        if health.device_id != device_id:
            raise Refused(
                "device_mismatch",
                f"payload device_id {health.device_id!r} ≠ topic id {device_id!r}",
            )
        row = self._device_row(s, device_id)
        row.health = health.model_dump(mode="json", by_alias=True)
        row.health_at = health.sent_at
        row.last_seen = item.received_at

    def _reject(self, out: _Outcome, item: Inbound, code: str, detail: str) -> None:
        match = self.topics.parse(item.topic)
        msg_id = None
        try:
            data = json.loads(item.payload)
            if isinstance(data, dict) and "msg_id" in data:
                msg_id = uuid.UUID(str(data["msg_id"]))
        except (ValueError, TypeError, UnicodeDecodeError):
            pass
        device = match.ident if match and match.kind is not TopicKind.QUEUE else None
        rej = Rejected(
            topic=item.topic[:300],
            reason=code,
            detail=detail[:500],
            excerpt=excerpt(item.payload),
            device_id=device if device and len(device) <= 32 else None,
            msg_id=msg_id,
            at=item.received_at,
        )
        log.warning("refused message on %s: %s — %s", item.topic, code, detail)
        out.rejected.append(rej)

    # ------------------------------------------------------------------ housekeeping

    def housekeeping(self) -> None:
        """Close earlier days' tickets and let expired rating windows lapse on the pads."""
        changes = Changes()
        now = now_utc()
        window = timedelta(minutes=self.config.rating.window_minutes)
        with self.db.write() as s:
            self.engine.close_previous_days(s, changes)
            rows = s.execute(
                select(DeskRow, TicketRow.ended_at)
                .join(TicketRow, TicketRow.id == DeskRow.rating_ticket_id)
                .where(DeskRow.site == self.config.site.code)
            ).all()
            for desk, ended_at in rows:
                if ended_at is None or ended_at + window <= now:
                    desk.rating_ticket_id = None
                    desk.updated_at = now
                    changes.desks.add(desk.desk_id)
        self.publisher.publish(changes)
