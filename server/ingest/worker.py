"""The ingest worker: one thread that applies device messages in batches, then answers.

paho's network thread only queues each message (`Inbound`); this thread takes what has
arrived (up to `BATCH_MAX`) and, for the batch:

1. applies every message in one transaction: ratings together
   (`handlers.ratings`), anything else in a savepoint of its own, except ticket requests,
   whose refusals all come before their first write (`handlers.tickets`);
2. records the refusals (`rejections`);
3. commits, then acknowledges every message (manual PUBACK: a server that dies before
   the commit gets them again), then publishes the replies, the receipts
   (`receipts`) and the refusal reports, and hands the changes to the publisher.

An unexpected error redoes the batch with every message in its own savepoint, so only
the message that fails is refused (``internal_error``) and the rest is committed. If the
database is unavailable, the batch is retried with back-off and nothing is acknowledged
until it commits. `IngestWorker.ingest_state` says whether ingest is ok, stalled or
failing (`server.ingest.health`).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from protocol.errors import MotcuaError
from protocol.link import MqttLink
from protocol.mqtt.message import Message
from protocol.refusals import Reason
from protocol.topics import TopicKind
from server.config import SiteConfig
from server.db.database import Database
from server.ingest import receipts
from server.ingest.admission import Admission, Inbound, check_size
from server.ingest.batch import Outcome
from server.ingest.dedup import Dedup
from server.ingest.handlers.devices import DeviceHandlers
from server.ingest.handlers.ratings import RatingHandlers
from server.ingest.handlers.tickets import TicketHandlers
from server.ingest.health import IngestHealth
from server.ingest.rejections import Refused, Rejections
from server.publisher import StatePublisher
from server.queue.changes import Changes
from server.ratings.rules import RatingIn
from server.services.ratings import RatingService
from server.services.tickets import TicketService
from server.services.unit import Unit
from server.timeutil import now_utc

log = logging.getLogger(__name__)

BATCH_MAX = 500
#: Device topics whose empty retained message only clears the retained one.
_CLEARABLE = (TopicKind.DEVICE_STATUS, TopicKind.DEVICE_HEALTH)

Handler = Callable[[Unit, Inbound, Outcome], None]


class _Unsafe(Exception):
    """The savepoint-free fast path met something unexpected: redo the batch safely."""


def _internal_error(e: Exception) -> Refused:
    """The refusal of a message whose handling failed unexpectedly."""
    return Refused(Reason.INTERNAL_ERROR, f"{e.__class__.__name__}: {e}"[:300])


class _Republish:
    """Queued when the broker link (re)connects: publish every retained state again."""


_REPUBLISH = _Republish()


class IngestWorker:
    def __init__(
        self,
        config: SiteConfig,
        db: Database,
        publisher: StatePublisher,
        link: MqttLink | None,
        tickets: TicketService,
        ratings: RatingService,
    ) -> None:
        self.config = config
        self.db = db
        self.publisher = publisher
        self.link = link
        self.topics = config.topics
        self.health = IngestHealth()
        self.admission = Admission(config)
        self.dedup = Dedup(db)
        self.rejections = Rejections(config, self.admission)
        self.ratings = RatingHandlers(self.admission, self.dedup, self.rejections, ratings)
        ticket_handlers = TicketHandlers(config, self.admission, self.dedup, tickets)
        device_handlers = DeviceHandlers(config, self.admission, tickets)
        #: The handler of each topic kind applied one message at a time.
        self.handlers: dict[TopicKind, Handler] = {
            TopicKind.TICKET_REQUEST: ticket_handlers.request,
            TopicKind.TICKET_OFFLINE: ticket_handlers.offline,
            TopicKind.DEVICE_STATUS: device_handlers.status,
            TopicKind.DEVICE_HEALTH: device_handlers.health,
        }
        self._inbox: queue.Queue[Inbound | _Republish | None] = queue.Queue()
        #: Arrival of the oldest message of the batch being processed (None when idle).
        self._in_flight: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self.link is not None:
            for topic_filter in self.topics.server_inbound_filters():
                self.link.subscribe(topic_filter, self._enqueue)
            self.link.on_connected(lambda: self._inbox.put(_REPUBLISH))
        self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)
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
        head_at = head.received_at if head is not None else None
        waiting = [t for t in (self._in_flight, head_at) if t is not None]
        alive = self._thread is None or self._thread.is_alive() or self._stop.is_set()
        return self.health.state(min(waiting, default=None), worker_alive=alive)

    def _enqueue(self, msg: Message) -> None:
        # On paho's thread: hand off only.
        self._inbox.put(Inbound.arrived(self.topics, msg, now_utc()))

    # ------------------------------------------------------------------ the loop

    def _next_batch(self) -> tuple[list[Inbound], bool]:
        """What has arrived (waiting up to a second for the first): up to `BATCH_MAX`
        messages, and whether the link asked for everything to be published again."""
        batch: list[Inbound] = []
        republish = False
        item: Inbound | _Republish | None
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
        return batch, republish

    def _run(self) -> None:
        while not self._stop.is_set():
            batch, republish = self._next_batch()
            try:
                if republish:
                    self.publisher.submit(self.publisher.everything())
                if batch:
                    self._in_flight = batch[0].received_at
                    self.handle_batch(batch)
                self.rejections.log.flush_if_due()
            except Exception as e:  # never let the worker die
                log.exception("ingest worker error")
                self.health.internal_error(f"worker: {e.__class__.__name__}: {e}"[:300])
            finally:
                self._in_flight = None

    def handle_batch(self, batch: list[Inbound]) -> Outcome:
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
                    return Outcome()
                delay = min(delay * 2, 10.0)
        self._answer(batch, outcome)
        self.rejections.committed(outcome.rejected)
        self.health.processed += len(batch) - len(outcome.rejected)
        self.health.rejected += len(outcome.rejected)
        self.health.last_batch_at = now_utc()
        failed = [r for r in outcome.rejected if r.reason == Reason.INTERNAL_ERROR]
        if failed:
            self.health.internal_error(failed[-1].detail, len(failed))
        self.publisher.submit(outcome.changes)
        return outcome

    def _answer(self, batch: list[Inbound], outcome: Outcome) -> None:
        """After the commit: acknowledge, reply, receipt, report the refusals."""
        if self.link is None:
            return
        for item in batch:
            if item.message is not None:
                self.link.ack(item.message)
        for topic, payload in outcome.replies:
            self.link.send(TopicKind.TICKET_RESPONSE, topic, payload)
        for topic, receipt in receipts.receipts(self.config, self.admission, batch):
            self.link.send(TopicKind.DEVICE_RECEIPT, topic, receipt)
        for rej in outcome.rejected:
            self.link.send(TopicKind.SERVER_REJECTED, self.topics.server_rejected(), rej)

    # ------------------------------------------------------------------ applying a batch

    def _process_guarded(self, batch: list[Inbound]) -> Outcome:
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

    def _process(self, batch: list[Inbound], safe: bool = False) -> Outcome:
        """Apply ``batch`` in one transaction: at once, or (``safe``) message by message,
        each in its own savepoint."""
        out = Outcome()
        with self.db.write() as s:
            if safe:
                for item in batch:
                    self._isolated(s, item, out)
            else:
                self._apply_all(s, batch, out, safe=False)
            self.rejections.store(s, out.rejected)
        return out

    def _apply_all(self, s: Session, batch: list[Inbound], out: Outcome, safe: bool) -> None:
        requests = [
            item.msg_id
            for item in batch
            if item.kind is TopicKind.TICKET_REQUEST and item.msg_id is not None
        ]
        self.dedup.prefetch(s, requests, out)
        ratings: list[tuple[Inbound, RatingIn]] = []
        for item in batch:
            try:
                rating = self.ratings.admit(item)
            except MotcuaError as r:
                self.rejections.reject(out, item, r)
                continue
            if rating is not None:
                ratings.append((item, rating))
            else:
                self._apply_one(s, item, out, safe)
        if ratings:
            self.ratings.apply(s, ratings, out)

    def _isolated(self, s: Session, item: Inbound, out: Outcome) -> None:
        """Apply one message in its own savepoint; if anything unexpected fails, undo and
        refuse that message alone (``internal_error``)."""
        one = Outcome()
        try:
            with s.begin_nested():
                self._apply_all(s, [item], one, safe=True)
        except (OperationalError, InterfaceError):
            raise
        except Exception as e:
            log.exception("unexpected error handling %s", item.topic)
            one = Outcome()
            self.rejections.reject(one, item, _internal_error(e))
        out.merge(one)

    def _apply_one(self, s: Session, item: Inbound, out: Outcome, safe: bool = True) -> None:
        """Apply one message in its own savepoint: a failure undoes only that message.

        Ticket requests — the hot path of every kiosk press — skip the savepoint unless
        ``safe``: every refusal happens before their first write, and the msg_id is
        claimed with ``ON CONFLICT DO NOTHING``, so nothing can fail halfway. Anything
        unexpected raises `_Unsafe`, which rolls the batch back to be redone safely.
        """
        unit = Unit(s, Changes())
        fast = not safe and item.kind is TopicKind.TICKET_REQUEST
        try:
            if fast:
                try:
                    self._handle(unit, item, out)
                except (MotcuaError, OperationalError, InterfaceError):
                    raise
                except Exception as e:
                    raise _Unsafe(f"{e.__class__.__name__}: {e}") from e
            else:
                with s.begin_nested():
                    self._handle(unit, item, out)
            out.changes.merge(unit.changes)
        except MotcuaError as r:
            self.rejections.reject(out, item, r)
        except IntegrityError as e:  # a concurrent server applied the same msg_id first
            self.rejections.reject(
                out, item, Refused(Reason.CONFLICT, f"not applied: {e.orig}"[:300])
            )
        except (OperationalError, InterfaceError, _Unsafe):
            raise
        except Exception as e:
            log.exception("unexpected error handling %s", item.topic)
            self.rejections.reject(out, item, _internal_error(e))

    def _handle(self, unit: Unit, item: Inbound, out: Outcome) -> None:
        if item.route is None:
            raise Refused(Reason.UNKNOWN_TOPIC, "not a topic the server accepts")
        kind = item.route.kind
        if not item.payload and kind in _CLEARABLE:
            return  # a retained message being cleared
        check_size(item)
        handler = self.handlers.get(kind)
        if handler is None:
            raise Refused(Reason.UNKNOWN_TOPIC, f"the server does not accept {kind.value} messages")
        handler(unit, item, out)
