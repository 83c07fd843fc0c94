"""A hub worker (``motcua hub --config hub.yaml``): takes its share of every office's
facts from the hub broker and stores them into PostgreSQL.

Workers share one stream with an MQTT shared subscription (``$share/{group}/…``; Mosquitto
2 does it for MQTT 3.1.1 clients too, EMQX and VerneMQ likewise): start as many as the
load needs, on as many machines. Each message is acknowledged only after its batch is
committed and the office's receipt is on its way; a worker killed in between loses
nothing: the office sends again whatever no receipt came for, and the hub ignores what it
already has (`hub.store`).

A message that is not a valid fact (or whose site is not its topic's) is recorded in
``rejected_messages``, acknowledged and dropped: one bad message never stalls a worker.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import SecretStr
from sqlalchemy.exc import DBAPIError

from hub.config import HubConfig
from hub.intake import Intake, read_batch
from hub.offices import record_link, record_pulse
from hub.store import store
from protocol.hub import RECEIPT_QOS, HubTopics
from protocol.mqtt.acks import ack_all, one_wakeup
from protocol.mqtt.connection import Connection
from protocol.mqtt.message import Message
from protocol.settings import BrokerSettings
from protocol.topics import Topics
from server.db.database import Database
from server.timeutil import now_utc

log = logging.getLogger(__name__)

#: A database error is retried after this long (doubling up to the max).
RETRY_MIN_S, RETRY_MAX_S = 0.5, 10.0


@dataclass
class WorkerCounts:
    stored: int = 0
    batches: int = 0
    rejected: int = 0
    db_errors: int = 0
    started: float = field(default_factory=time.monotonic)


class HubWorker:
    """One worker process's MQTT connection and its store loop."""

    def __init__(
        self,
        config: HubConfig,
        password: SecretStr,
        *,
        name: str | None = None,
        database: Database | None = None,
    ) -> None:
        self.config = config
        self.db = database or Database(config.database())
        self.name = name or f"{socket.gethostname()[:20]}-{threading.get_native_id()}"
        broker = config.broker
        settings = BrokerSettings(
            host=broker.host,
            port=broker.port,
            username=broker.username,
            password=password,
            tls_ca_file=broker.tls_ca_file,
            prefix=broker.prefix,
        )
        self.topics = HubTopics("+", broker.prefix)
        self.connection = Connection(
            settings,
            Topics("hub", broker.prefix),
            broker.username,
            manual_ack=True,  # acknowledged after the commit
            # clean: a dead worker's share goes to the others (docs/hub.md)
            clean_session=not config.worker.persistent_session,
            client_id=f"{broker.username}-{self.name}"[:64],
            announce_status=False,
            max_inflight=config.worker.max_inflight,
        )
        self.inbox: queue.Queue[Message] = queue.Queue()
        self.counts = WorkerCounts()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Called after each committed batch (tests and the benchmark watch progress).
        self.on_batch: Callable[[int], None] | None = None

    def start(self) -> None:
        group = self.config.broker.share_group
        for kind in ("facts", "pulse"):
            self.connection.subscribe(self.topics.shared(kind, group), self.inbox.put)
        # Every worker reads the bridges' notifications (retained: not for shared
        # subscriptions); storing the same state twice is harmless.
        self.connection.subscribe(self.topics.topic("link"), self.inbox.put)
        self._thread = threading.Thread(target=self._run, name="hub-store", daemon=True)
        self._thread.start()
        self.connection.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.connection.stop(announce_offline=False)
        self.db.dispose()

    def wait_connected(self, timeout: float = 15.0) -> bool:
        return self.connection.wait_connected(timeout)

    # ------------------------------------------------------------------ the loop

    def _run(self) -> None:
        settings = self.config.worker
        while not self._stop.is_set():
            messages = read_batch(
                self.inbox, settings.batch_max, settings.batch_wait_ms / 1000, self._stop
            )
            if messages:
                self._handle(messages)

    def _handle(self, messages: list[Message]) -> None:
        intake = Intake(self.topics)
        for msg in messages:
            intake.add(msg)
        delay = RETRY_MIN_S
        while not self._stop.is_set():
            try:
                self._commit(intake)
                break
            except DBAPIError as e:
                self.counts.db_errors += 1
                log.warning("hub database: %s; batch tried again in %.1f s", e.orig, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        else:
            return  # stopping: not acknowledged, the broker or the office sends it again
        with one_wakeup(self.connection):
            for receipt in intake.batch.receipts():
                topic = HubTopics(receipt.site, self.config.broker.prefix).topic("receipt")
                self.connection.publish(topic, receipt.to_json(), qos=RECEIPT_QOS)
            ack_all(self.connection, messages)
        self.counts.stored += len(intake.batch)
        self.counts.rejected += len(intake.rejected)
        self.counts.batches += 1
        if self.on_batch is not None:
            self.on_batch(len(intake.batch))

    def _commit(self, intake: Intake) -> None:
        now = now_utc()
        with self.db.write() as s:
            store(s, intake.batch, now)
            for pulse in intake.pulses.values():
                record_pulse(s, pulse, now)
            for site, up in intake.links.items():
                record_link(s, site, up, now)
            for row in intake.rejected:
                s.add(row)
