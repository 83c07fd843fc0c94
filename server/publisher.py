"""Publishes the server's retained state (queues, desks, stats) and board calls.

Changes are handed over with `submit` (never blocks) and published by a thread of
their own, so recomputing statistics never delays ingest or acknowledgements. Board
calls go out at once; queue and desk state at most every STATE_EVERY_S and desk
statistics at most every STATS_EVERY_S, each time rebuilt from the database, so what
devices see is what was committed.

The kiosks' retained reserve (``kiosk/{id}/reserve``: today's offline number blocks and
the catalogue) goes out at once too, allocating the blocks if needed: for every kiosk
whenever the server (re)connects to the broker and when the local day changes (the
thread wakes at least every DAY_CHECK_S to notice), and for one kiosk when it comes
online. A reserve that could not be built (database down) is retried RESERVE_RETRY_S later.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

from pydantic import BaseModel
from sqlalchemy.orm import Session

from protocol.link import MqttLink
from protocol.topics import TopicKind
from server.config import SiteConfig
from server.db.database import Database
from server.queue.changes import Changes
from server.queue.engine import QueueEngine
from server.readmodels.board_calls import board_call
from server.readmodels.desk_state import desk_state
from server.readmodels.devices import device_views
from server.readmodels.queue_state import queue_state
from server.readmodels.ratings import rating_views
from server.readmodels.stats import desk_stats

log = logging.getLogger(__name__)

Listener = Callable[[str, BaseModel], None]
#: What to publish: (topic kind, topic, message); the kind gives retain and QoS.
Outgoing = tuple[TopicKind, str, BaseModel]
STATE_EVERY_S = 0.2
STATS_EVERY_S = 1.0
#: The thread wakes at least this often to notice a new local day (new reserve blocks,
#: queues starting again from 1).
DAY_CHECK_S = 60.0
#: A reserve that could not be built (database down) is tried again after this long.
RESERVE_RETRY_S = 10.0
#: Under load, wait at least this many times the last round's duration before the next
#: one, so rebuilding state takes at most a tenth of the time and ingest keeps the rest
#: (measured: with a fifth, p99 of saturated ticket requests was 29–60 ms; with a tenth
#: 26–48 ms, docs/benchmarks.md).
BACKOFF_FACTOR = 9.0


class StatePublisher:
    def __init__(
        self, config: SiteConfig, db: Database, engine: QueueEngine, link: MqttLink | None
    ) -> None:
        self.config = config
        self.db = db
        self.engine = engine
        self.link = link
        self.topics = config.topics
        #: Whether device statuses can be trusted (the runtime's broker link is up).
        self.presence_known: Callable[[], bool] = lambda: True
        #: In-process listeners (the web app's live views): called with (topic, message).
        self.listeners: list[Listener] = []
        self._pending = Changes()
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._next_state = 0.0
        self._next_stats = 0.0
        self._last_state_s = 0.0
        self._last_stats_s = 0.0
        self._day = engine.today()
        #: Kiosks whose reserve failed to publish; retried at the next wake.
        self._retry_reserves: set[str] = set()
        self._retry_at = 0.0

    # ------------------------------------------------------------------ thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="state-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def submit(self, changes: Changes) -> None:
        """Queue changes for publication (from any thread, never blocks for long)."""
        if not self.listeners:  # device and rating views are only for live pages
            changes.devices, changes.ratings = set(), []
        if not changes:
            return
        with self._cond:
            self._pending.merge(changes)
            self._cond.notify()
        if self._thread is None:  # not started (tests, tools): publish inline
            self.flush()

    def everything(self) -> Changes:
        return Changes(
            services={s.code for s in self.config.services},
            desks={d.id for d in self.config.desks},
            stats={d.id for d in self.config.desks},
            reserves=set(self.config.kiosk_ids),
        )

    def _take_due(self, force: bool = False) -> Changes:
        now = time.monotonic()
        p, out = self._pending, Changes()
        out.calls, p.calls = p.calls, []
        out.reserves, p.reserves = p.reserves, set()
        out.devices, p.devices = p.devices, set()
        out.ratings, p.ratings = p.ratings, []
        if (p.services or p.desks) and (force or now >= self._next_state):
            out.services, out.desks, p.services, p.desks = p.services, p.desks, set(), set()
            self._next_state = now + max(STATE_EVERY_S, BACKOFF_FACTOR * self._last_state_s)
        if p.stats and (force or now >= self._next_stats):
            out.stats, p.stats = p.stats, set()
            self._next_stats = now + max(STATS_EVERY_S, BACKOFF_FACTOR * self._last_stats_s)
        return out

    def _wait_s(self) -> float | None:
        p, due = self._pending, []
        if p.calls or p.reserves or p.devices or p.ratings:
            return 0.0
        if p.services or p.desks:
            due.append(self._next_state)
        if p.stats:
            due.append(self._next_stats)
        return max(0.0, min(due) - time.monotonic()) if due else None

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop:
                    self._check_day()
                    wait = self._wait_s()
                    if wait == 0.0:
                        break
                    limit = DAY_CHECK_S
                    if self._retry_reserves:
                        limit = min(limit, max(0.05, self._retry_at - time.monotonic()))
                    self._cond.wait(limit if wait is None else min(wait, limit))
                if self._stop:
                    return
                due = self._take_due()
            try:
                self.publish(due)
            except Exception:
                log.exception("publishing state failed")

    def _check_day(self) -> None:
        """Under the lock: a new local day republishes everything (new reserve blocks,
        queues from 1); reserves that failed are tried again."""
        today = self.engine.today()
        if today != self._day:
            self._day = today
            self._pending.merge(self.everything())
        if self._retry_reserves and time.monotonic() >= self._retry_at:
            self._pending.reserves |= self._retry_reserves
            self._retry_reserves = set()

    def flush(self) -> None:
        """Publish everything pending now."""
        with self._cond:
            due = self._take_due(force=True)
        self.publish(due)

    # ------------------------------------------------------------------ building

    def _reserves(self, kiosk_ids: set[str]) -> list[tuple[str, BaseModel]]:
        """Reserve messages: read when the blocks exist (the usual case, no write lock
        taken while kiosks are asking for numbers), else allocated in one transaction
        for all the kiosks missing some. A failure is retried RESERVE_RETRY_S later."""
        if not kiosk_ids:
            return []
        found: list[tuple[str, BaseModel]] = []
        missing: list[str] = []
        try:
            with self.db.read() as s:
                for kiosk_id in sorted(kiosk_ids):
                    reserve = self.engine.reserve_blocks(s, kiosk_id, allocate=False)
                    if reserve is None:
                        missing.append(kiosk_id)
                    else:
                        found.append((kiosk_id, reserve))
            if missing:
                with self.db.write() as s:
                    for kiosk_id in missing:
                        reserve = self.engine.reserve_blocks(s, kiosk_id)
                        assert reserve is not None
                        found.append((kiosk_id, reserve))
        except Exception:
            log.exception("reserves of %s not published; retried later", sorted(kiosk_ids))
            with self._cond:
                self._retry_reserves |= set(kiosk_ids)
                self._retry_at = time.monotonic() + RESERVE_RETRY_S
            return []
        return found

    def publish(self, changes: Changes) -> None:
        if not changes:
            return
        # (kind, topic, message): the topic table decides retain and QoS.
        out: list[Outgoing] = [
            (TopicKind.KIOSK_RESERVE, self.topics.kiosk_reserve(kiosk_id), reserve)
            for kiosk_id, reserve in self._reserves(changes.reserves)
        ]
        with self.db.read() as s:
            out += self._board_calls(s, changes.calls)
            out += self._state(s, changes)
            out += self._stats(s, changes)
            live = self._live_views(s, changes)
        for kind, topic, message in out:
            if self.link is not None:
                self.link.send(kind, topic, message)
        self._tell([(topic, message) for _, topic, message in out] + live)

    def _board_calls(self, s: Session, ticket_ids: list[uuid.UUID]) -> list[Outgoing]:
        out: list[Outgoing] = []
        for ticket_id in ticket_ids:
            call = board_call(s, self.config, ticket_id)
            if call is not None:
                out.append((TopicKind.BOARD_CALL, self.topics.board_call(), call))
        return out

    def _state(self, s: Session, changes: Changes) -> list[Outgoing]:
        started = time.monotonic()
        out: list[Outgoing] = [
            (TopicKind.QUEUE, self.topics.queue(svc), queue_state(self.engine, s, svc))
            for svc in sorted(changes.services)
        ]
        out += [
            (TopicKind.DESK_STATE, self.topics.desk_state(d), desk_state(self.engine, s, d))
            for d in sorted(changes.desks)
        ]
        if out:
            self._last_state_s = time.monotonic() - started
        return out

    def _stats(self, s: Session, changes: Changes) -> list[Outgoing]:
        started = time.monotonic()
        day = self.engine.today()
        out: list[Outgoing] = [
            (TopicKind.DESK_STATS, self.topics.desk_stats(d), desk_stats(s, self.config, d, day))
            for d in sorted(changes.stats)
        ]
        if out:
            self._last_stats_s = time.monotonic() - started
        return out

    def _live_views(self, s: Session, changes: Changes) -> list[tuple[str, BaseModel]]:
        """Device and rating views: only the in-process live pages want them."""
        if not self.listeners:
            return []
        live: list[tuple[str, BaseModel]] = []
        if changes.devices:
            known = self.presence_known()
            for dev in device_views(s, self.config, changes.devices, presence_known=known):
                live.append((self.topics.device_status(dev.id), dev))
        if changes.ratings:
            for rating in reversed(rating_views(s, self.config, changes.ratings)):
                live.append((self.topics.desk_rating(rating.desk_id), rating))
        return live

    def _tell(self, messages: list[tuple[str, BaseModel]]) -> None:
        """Hand what was published, and the device and rating views (which only the
        in-process live pages want), to the listeners."""
        for listener in self.listeners:
            for topic, message in messages:
                try:
                    listener(topic, message)
                except Exception:
                    log.exception("state listener failed")
