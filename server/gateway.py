"""The MQTT gateway: turns device messages into committed changes, and answers.

For every inbound message, in order:

1. classify the topic, check the size, decode UTF-8 and JSON, validate the model;
2. check the sender: the id in the topic, the id in the payload and the device's kind
   and desk in the site configuration must agree;
3. deduplicate on ``msg_id`` (QoS 1 redelivery and outbox replays have no effect; a
   replayed ticket request gets its original answer again);
4. apply it (issue a number, store a rating, update a device) in a savepoint of the
   batch's transaction;
5. commit, then acknowledge (manual PUBACK), then publish replies and receipts (the
   msg_ids each device may now delete from its outbox), and hand the new state to the
   publisher.

A refused message is stored in ``rejected_messages``, reported on ``server/rejected``
with its reason, acknowledged (so it is not redelivered forever), receipted, answered if
it is a ticket request, and never stops the gateway. An unexpected error redoes the
batch with every message in its own savepoint, so only the message that fails is
refused (``internal_error``) and the rest is committed. If the database is unavailable,
the batch is retried with back-off and nothing is acknowledged until it commits.
`Gateway.ingest_state` says whether ingest is ok, stalled or failing.
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
from pydantic import ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from protocol.decoding import MAX_PAYLOAD_BYTES, InvalidMessage, decode, excerpt, printable
from protocol.link import MqttLink
from protocol.messages import (
    DeskRating,
    DeviceHealth,
    DeviceStatus,
    OfflineTicket,
    Receipt,
    Refusal,
    Rejected,
    TicketRequest,
    TicketResponse,
    VisitRating,
)
from protocol.topics import TopicKind
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import (
    DeskRow,
    DeviceRow,
    ProcessedMessageRow,
    RejectedMessageRow,
    TicketRow,
)
from server.inbound import Inbound, Refused
from server.ingest_health import GatewayHealth
from server.publisher import StatePublisher
from server.queue.engine import Changes, QueueEngine, QueueError, QueueSnapshot
from server.ratings import CLOCK_SKEW, RatingIn, RatingRefused, apply_ratings
from server.timeutil import now_utc

log = logging.getLogger(__name__)

BATCH_MAX = 500
#: msg_ids per receipt: keeps a receipt under the 16 KiB payload limit (39 bytes each).
RECEIPT_IDS = 300
_P = ProcessedMessageRow.__table__.c
_SEEN = select(_P.msg_id, _P.response).where(_P.msg_id == bindparam("msg_id"))
_SEEN_MANY = select(_P.msg_id, _P.response).where(_P.msg_id.in_(bindparam("ids", expanding=True)))
_STORE_RESPONSE = (
    update(ProcessedMessageRow.__table__)
    .where(_P.msg_id == bindparam("b_msg_id"))
    .values(response=bindparam("b_response"))
)
HOUSEKEEPING_EVERY_S = 30.0


class _Unsafe(Exception):
    """The savepoint-free fast path met something unexpected: redo the batch safely."""


@dataclass(frozen=True)
class _SeenRow:
    msg_id: uuid.UUID
    response: dict[str, Any] | None


@dataclass
class _Outcome:
    replies: list[tuple[str, bytes]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    #: Queue snapshots shared by the ticket requests of one batch (read once each).
    snapshots: dict[str, QueueSnapshot] = field(default_factory=dict)
    #: Ticket-request msg_ids of the batch looked up at once: the row, or None if new.
    seen: dict[uuid.UUID, Any] = field(default_factory=dict)

    def merge(self, other: _Outcome) -> None:
        self.replies += other.replies
        self.rejected += other.rejected
        self.changes.merge(other.changes)


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
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        self._claim = (
            dialect.insert(ProcessedMessageRow.__table__)
            .on_conflict_do_nothing(index_elements=["msg_id"])
            .returning(_P.msg_id)
        )
        self._inbox: queue.Queue[Any] = queue.Queue()
        #: Arrival of the oldest message of the batch being processed (None when idle).
        self._in_flight: datetime | None = None
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

    def ingest_state(self) -> tuple[str, str]:
        """``("ok" | "stalled" | "failing", reason)``: for /api/health and the dashboard."""
        with self._inbox.mutex:  # the head of the FIFO is its oldest message
            head = next((i for i in self._inbox.queue if isinstance(i, Inbound)), None)
        waiting = [t for t in (self._in_flight, head and head.received_at) if t is not None]
        alive = self._thread is None or self._thread.is_alive() or self._stop.is_set()
        return self.health.state(min(waiting, default=None), worker_alive=alive)

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
                    self._in_flight = batch[0].received_at
                    self.handle_batch(batch)
                if time.monotonic() >= self._next_housekeeping:
                    self._next_housekeeping = time.monotonic() + HOUSEKEEPING_EVERY_S
                    self.housekeeping()
            except Exception as e:  # never let the worker die
                log.exception("gateway worker error")
                self.health.internal_error(f"worker: {e.__class__.__name__}: {e}"[:300])
            finally:
                self._in_flight = None

    def _republish_all(self) -> None:
        self.publisher.submit(self.publisher.everything())

    def handle_batch(self, batch: list[Inbound]) -> _Outcome:
        """Process, commit (retrying while the database is down), ack, publish."""
        delay = 0.5
        while True:
            try:
                outcome = self._process_guarded(batch)
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
            for device_id, ids in self._receipts(batch).items():
                for k in range(0, len(ids), RECEIPT_IDS):
                    receipt = Receipt(device_id=device_id, msg_ids=ids[k : k + RECEIPT_IDS])
                    self.link.publish(self.topics.device_receipt(device_id), receipt, qos=1)
            for rej in outcome.rejected:
                self.link.publish(self.topics.server_rejected(), rej, qos=1)
        self.health.processed += len(batch) - len(outcome.rejected)
        self.health.rejected += len(outcome.rejected)
        self.health.last_batch_at = now_utc()
        failed = [r for r in outcome.rejected if r.reason == "internal_error"]
        if failed:
            self.health.internal_error(failed[-1].detail, len(failed))
        self.publisher.submit(outcome.changes)
        return outcome

    def _process_guarded(self, batch: list[Inbound]) -> _Outcome:
        """`_process`; after anything unexpected (rolled back), the batch again with every
        message in its own savepoint, so that only a message that fails again is refused.
        A database outage propagates: the caller retries the batch."""
        try:
            return self._process(batch)
        except (OperationalError, InterfaceError):
            raise
        except _Unsafe as e:
            log.warning("fast path failed (%s); batch redone message by message", e)
        except Exception:
            log.exception("unexpected error in a batch of %d; redone one by one", len(batch))
        return self._process(batch, safe=True)

    def _receipts(self, batch: list[Inbound]) -> dict[str, list[uuid.UUID]]:
        """Per device, the events of this committed batch it may now forget (accepted or
        refused for good). Ticket requests are answered instead."""
        out: dict[str, list[uuid.UUID]] = {}
        for item in batch:
            if self._kind(item) is TopicKind.TICKET_REQUEST:
                continue
            device = self._sender(item)
            msg_id = item.msg_id
            if device in self.config.device_by_id and msg_id is not None:
                out.setdefault(device, []).append(msg_id)
        return out

    def _sender(self, item: Inbound) -> str | None:
        """The device that sent ``item``: the id in its topic; for a desk's rating, that
        desk's pad (or the payload's ``device_id`` if it names a known device)."""
        match = self.topics.parse(item.topic)
        if match is None or match.kind is TopicKind.QUEUE:
            return None
        if match.kind is TopicKind.DESK_RATING:
            pad = self.config.pad_of_desk.get(match.ident or "")
            device = item.envelope[1]
            return pad or (device if device in self.config.device_by_id else None)
        return match.ident

    def _prefetch_requests(self, s: Session, batch: list[Inbound], out: _Outcome) -> None:
        """Look up the msg_ids of the batch's ticket requests in one query."""
        ids = []
        for item in batch:
            match = self.topics.parse(item.topic)
            if match is not None and match.kind is TopicKind.TICKET_REQUEST:
                msg_id = item.msg_id
                if msg_id is not None:
                    ids.append(msg_id)
        for k in range(0, len(ids), 500):
            chunk = ids[k : k + 500]
            found = {r.msg_id: r for r in s.execute(_SEEN_MANY, {"ids": chunk})}
            for msg_id in chunk:
                out.seen[msg_id] = found.get(msg_id)

    def _process(self, batch: list[Inbound], safe: bool = False) -> _Outcome:
        """Apply ``batch`` in one transaction: at once, or (``safe``) message by message,
        each in its own savepoint."""
        out = _Outcome()
        with self.db.write() as s:
            if safe:
                for item in batch:
                    self._isolated(s, item, out)
            else:
                self._apply_all(s, batch, out, safe=False)
            if out.rejected:
                s.execute(
                    insert(RejectedMessageRow.__table__),
                    [self._rejected_row(r) for r in out.rejected],
                )
        return out

    def _apply_all(self, s: Session, batch: list[Inbound], out: _Outcome, safe: bool) -> None:
        self._prefetch_requests(s, batch, out)
        ratings: list[tuple[Inbound, RatingIn]] = []
        for item in batch:
            try:
                rating = self._as_rating(item)
            except Refused as r:
                self._reject(out, item, r.code, r.detail)
                continue
            if rating is not None:
                ratings.append((item, rating))
            else:
                self._apply_one(s, item, out, safe)
        if ratings:
            self._apply_ratings(s, ratings, out)

    def _isolated(self, s: Session, item: Inbound, out: _Outcome) -> None:
        """Apply one message in its own savepoint; if anything unexpected fails, undo and
        refuse that message alone (``internal_error``)."""
        one = _Outcome()
        try:
            with s.begin_nested():
                self._apply_all(s, [item], one, safe=True)
        except (OperationalError, InterfaceError):
            raise
        except Exception as e:
            log.exception("unexpected error handling %s", item.topic)
            one = _Outcome()
            self._reject(one, item, "internal_error", f"{e.__class__.__name__}: {e}"[:300])
        out.merge(one)

    def _apply_one(self, s: Session, item: Inbound, out: _Outcome, safe: bool = True) -> None:
        """Apply one message in its own savepoint: a failure undoes only that message.

        Ticket requests — the hot path of every kiosk press — skip the savepoint unless
        ``safe``: every refusal happens before their first write, and the msg_id is
        claimed with ``ON CONFLICT DO NOTHING``, so nothing can fail halfway. Anything
        unexpected raises `_Unsafe`, which rolls the batch back to be redone safely.
        """
        changes = Changes()
        fast = not safe and self._kind(item) is TopicKind.TICKET_REQUEST
        try:
            if fast:
                try:
                    self._handle(s, item, out, changes)
                except (Refused, OperationalError, InterfaceError):
                    raise
                except Exception as e:
                    raise _Unsafe(f"{e.__class__.__name__}: {e}") from e
            else:
                with s.begin_nested():
                    self._handle(s, item, out, changes)
            out.changes.merge(changes)
        except Refused as r:
            self._reject(out, item, r.code, r.detail, reply=r.reply, answered=r.answered)
        except IntegrityError as e:  # a concurrent server applied the same msg_id first
            self._reject(out, item, "conflict", f"not applied: {e.orig}"[:300])
        except (OperationalError, InterfaceError, _Unsafe):
            raise
        except Exception as e:
            log.exception("unexpected error handling %s", item.topic)
            self._reject(out, item, "internal_error", f"{e.__class__.__name__}: {e}"[:300])

    def _kind(self, item: Inbound) -> TopicKind | None:
        match = self.topics.parse(item.topic)
        return match.kind if match else None

    def _rejected_row(self, rej: Rejected) -> dict[str, Any]:
        return {
            "site": self.config.site.code,
            "received_at": rej.at,
            "topic": rej.topic[:300],
            "reason": rej.reason,
            "detail": rej.detail,
            "excerpt": rej.excerpt,
            "device_id": rej.device_id,
            "msg_id": str(rej.msg_id) if rej.msg_id else None,
        }

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
        elif kind is TopicKind.DEVICE_STATUS:
            self._device_status(s, item, ident, changes)
        elif kind is TopicKind.DEVICE_HEALTH:
            self._device_health(s, item, ident, changes)
        elif kind is TopicKind.TICKET_OFFLINE:
            self._offline_ticket(s, item, ident, out, changes)
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

    def _seen(self, s: Session, msg_id: uuid.UUID, out: _Outcome) -> Any:
        """The processed-message row (msg_id, response) if this msg_id was applied."""
        if msg_id in out.seen:
            return out.seen[msg_id]
        return s.execute(_SEEN, {"msg_id": msg_id}).first()

    def _ticket_request(
        self, s: Session, item: Inbound, kiosk_id: str, out: _Outcome, changes: Changes
    ) -> None:
        req: TicketRequest = self._decode(TicketRequest, item)
        self._check_device(req.device_id, kiosk_id, "kiosk")
        reply_topic = self.topics.ticket_response(kiosk_id)
        seen = self._seen(s, req.msg_id, out)
        if seen is not None:
            if seen.response is not None:
                out.replies.append((reply_topic, json.dumps(seen.response).encode()))
            raise Refused(
                "duplicate",
                f"msg_id {req.msg_id} already processed; original answer re-sent",
                answered=seen.response is not None,
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
        if req.sent_at > item.received_at + CLOCK_SKEW:  # the same tolerance as ratings
            ahead = (req.sent_at - item.received_at).total_seconds()
            raise Refused(
                "sent_in_future",
                f"sent_at is {ahead:.0f} s later than the server clock",
                reply=Refusal(
                    code="sent_in_future",
                    message="Đồng hồ của máy lấy số chạy nhanh hơn máy chủ",
                    message_en="the kiosk's clock is ahead of the server's",
                ),
            )
        try:
            self.engine.check_request(req.service, req.priority)
        except QueueError as e:
            raise Refused(
                e.code,
                e.message_en or e.message,
                reply=Refusal(code=e.code, message=e.message, message_en=e.message_en),
            ) from None
        self._claim_msg(s, req.msg_id, "ticket_request", kiosk_id, item.received_at)
        ticket = self.engine.issue(
            s,
            req.service,
            req.priority,
            kiosk_id=kiosk_id,
            changes=changes,
            snapshots=out.snapshots,
        )
        response = TicketResponse(request_id=req.msg_id, ok=True, ticket=ticket)
        stored = response.model_dump(mode="json", by_alias=True)
        s.execute(_STORE_RESPONSE, {"b_msg_id": req.msg_id, "b_response": stored})
        out.seen[req.msg_id] = _SeenRow(req.msg_id, stored)
        out.replies.append((reply_topic, response.to_json()))

    def _claim_msg(
        self, s: Session, msg_id: Any, kind: str, device_id: str, received_at: Any
    ) -> None:
        """Record the msg_id as processed before applying it. A concurrent server handling
        the same message makes this a no-op (refused as a duplicate) instead of an error,
        so nothing after it can fail on a duplicate."""
        claimed = s.execute(
            self._claim,
            {"msg_id": msg_id, "kind": kind, "device_id": device_id, "received_at": received_at},
        ).first()
        if claimed is None:
            raise Refused("duplicate", f"msg_id {msg_id} is being processed by another server")

    def _offline_ticket(
        self, s: Session, item: Inbound, kiosk_id: str, out: _Outcome, changes: Changes
    ) -> None:
        """A number the kiosk issued from its reserve block while it could not reach us,
        delivered by its outbox: merged into the queue at its issue time (see
        `QueueEngine.merge_offline`). Refused or not, the kiosk gets a receipt, so its
        outbox does not send it again."""
        msg: OfflineTicket = self._decode(OfflineTicket, item)
        self._check_device(msg.device_id, kiosk_id, "kiosk")
        if self._seen(s, msg.msg_id, out) is not None:
            raise Refused("duplicate", f"msg_id {msg.msg_id} already processed")
        self._claim_msg(s, msg.msg_id, "offline_ticket", kiosk_id, item.received_at)
        try:
            self.engine.merge_offline(s, kiosk_id, msg, item.received_at, changes)
        except QueueError as e:
            raise Refused(e.code, e.message_en or e.message) from None

    def _answer_refusal(
        self, out: _Outcome, item: Inbound, code: str, detail: str, reply: Refusal | None
    ) -> None:
        """Tell a kiosk why its ticket request was refused (it would otherwise wait for
        its timeout), when the request's msg_id is readable."""
        match = self.topics.parse(item.topic)
        if match is None or match.kind is not TopicKind.TICKET_REQUEST:
            return
        request_id = item.msg_id
        if request_id is None or match.ident is None:
            return
        if reply is None and code == "internal_error":
            reply = Refusal(
                code=code,
                message="Máy chủ gặp lỗi, chưa cấp được số",
                message_en="server error: no number was issued",
            )
        refusal = reply or Refusal(
            code=code, message="Yêu cầu không hợp lệ", message_en=printable(detail, 80)
        )
        answer = TicketResponse(request_id=request_id, ok=False, refusal=refusal)
        out.replies.append((self.topics.ticket_response(match.ident), answer.to_json()))

    def _as_rating(self, item: Inbound) -> RatingIn | None:
        """A validated rating from a rating topic (sender checked), or ``None``."""
        match = self.topics.parse(item.topic)
        if match is None or match.kind not in (TopicKind.DESK_RATING, TopicKind.KIOSK_RATING):
            return None
        if len(item.payload) > MAX_PAYLOAD_BYTES:
            raise Refused("too_large", f"{len(item.payload)} bytes > {MAX_PAYLOAD_BYTES}")
        ident = match.ident or ""
        if match.kind is TopicKind.KIOSK_RATING:
            visit: VisitRating = self._decode(VisitRating, item)
            self._check_device(visit.device_id, ident, "kiosk")
            return RatingIn(visit, None, item.received_at)
        rating: DeskRating = self._decode(DeskRating, item)
        if ident not in self.config.desk_by_id:
            raise Refused("unknown_desk", f"no desk {ident!r}")
        pad = self.config.pad_of_desk.get(ident)
        if rating.device_id != pad:
            raise Refused("not_desk_pad", f"{rating.device_id!r} is not the pad of desk {ident!r}")
        return RatingIn(rating, ident, item.received_at)

    def _apply_ratings(
        self, s: Session, items: list[tuple[Inbound, RatingIn]], out: _Outcome
    ) -> None:
        """Store a batch of ratings with a few queries; one by one if the batch conflicts."""
        fresh: list[tuple[Inbound, RatingIn]] = []
        ids = [r.rating.msg_id for _, r in items]
        seen: set[uuid.UUID] = set()
        for k in range(0, len(ids), 500):
            chunk = ids[k : k + 500]
            seen.update(s.execute(select(_P.msg_id).where(_P.msg_id.in_(chunk))).scalars())
        for item, r in items:
            if r.rating.msg_id in seen:
                self._reject(out, item, "duplicate", f"msg_id {r.rating.msg_id} already processed")
            else:
                seen.add(r.rating.msg_id)
                fresh.append((item, r))
        if not fresh:
            return
        try:
            self._store_ratings(s, fresh, out)
        except IntegrityError:
            # Another server process stored some of these meanwhile: go one at a time.
            for pair in fresh:
                try:
                    self._store_ratings(s, [pair], out)
                except IntegrityError:
                    self._reject(out, pair[0], "duplicate", "stored concurrently by another server")

    def _store_ratings(
        self, s: Session, pairs: list[tuple[Inbound, RatingIn]], out: _Outcome
    ) -> None:
        """Check and store ``pairs`` in one savepoint; ``out`` hears of them only once it
        holds (a savepoint rolled back must leave no refusal or change behind)."""
        with s.begin_nested():
            results = apply_ratings(s, self.config, [r for _, r in pairs])
            processed = [
                {
                    "msg_id": r.rating.msg_id,
                    "kind": "rating",
                    "device_id": r.rating.device_id,
                    "received_at": item.received_at,
                    "response": None,
                }
                for (item, r), result in zip(pairs, results, strict=True)
                if not isinstance(result, RatingRefused)
            ]
            if processed:
                s.execute(insert(ProcessedMessageRow.__table__), processed)
        for (item, _), result in zip(pairs, results, strict=True):
            if isinstance(result, RatingRefused):
                self._reject(out, item, result.code, result.detail)
            else:
                out.changes.stats.add(result["desk_id"])
                out.changes.ratings.append(result["ticket_id"])
                out.changes.desks.add(result["desk_id"])

    def _device_row(self, s: Session, device_id: str) -> DeviceRow:
        if device_id not in self.config.device_by_id:
            raise Refused("unknown_device", f"no device {device_id!r} in the site configuration")
        row = s.get(DeviceRow, (self.config.site.code, device_id))
        if row is None:
            row = DeviceRow(site=self.config.site.code, device_id=device_id, status="offline")
            s.add(row)
        return row

    def _device_status(self, s: Session, item: Inbound, device_id: str, changes: Changes) -> None:
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
        changes.devices.add(device_id)
        if status.state == "online" and self.config.device_by_id[device_id].kind == "kiosk":
            changes.reserves.add(device_id)  # a kiosk back online gets today's reserve again

    def _device_health(self, s: Session, item: Inbound, device_id: str, changes: Changes) -> None:
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
        changes.devices.add(device_id)

    def _reject(
        self,
        out: _Outcome,
        item: Inbound,
        code: str,
        detail: str,
        *,
        reply: Refusal | None = None,
        answered: bool = False,
    ) -> None:
        """Record a refusal, and answer it if it is a ticket request (unless ``answered``).
        Must never raise, whatever the payload holds."""
        msg_id = item.msg_id
        device = self._sender(item)
        try:
            rej = Rejected(
                topic=printable(item.topic, 300),
                reason=code,
                detail=printable(detail, 500),
                excerpt=excerpt(item.payload),
                device_id=device,
                msg_id=msg_id,
                at=item.received_at,
            )
        except ValidationError:
            rej = Rejected(
                topic="(unprintable topic)",
                reason=code,
                detail="(unprintable detail)",
                excerpt="",
                at=item.received_at,
            )
        log.warning("refused message on %s: %s — %s", rej.topic, code, rej.detail)
        out.rejected.append(rej)
        if not answered:
            self._answer_refusal(out, item, code, rej.detail, reply)

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
        self.publisher.submit(changes)
