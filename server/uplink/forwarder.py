"""The office's forwarder: sends every committed fact to the hub until the hub's
receipt says it is stored (docs/hub.md).

The office database is the queue: nothing is copied into an outbox. Per stream the
forwarder keeps a cursor, stored in ``hub_cursors``: every fact at or below it is
receipted. Above it, facts are *pending* (sent, no receipt yet) or *done* (receipted).
A pending fact is sent again after ``resend_after_s`` (doubling while the hub answers
nothing); at most ``window`` facts are pending. While the office's bridge says the WAN
is down (``{root}/hub/link`` = ``0``) nothing is sent: the facts wait in the database,
not in the bridge's queue. After a restart, everything above the cursor is sent again.

The cursor passes a fact only some seconds after it was first read: with PostgreSQL two
transactions can commit their ids out of order, and a late, lower id must still be
found above the cursor (`GRACE_S`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select

from protocol.decoding import InvalidMessage, decode
from protocol.hub import FACT_QOS, STREAMS, HubReceipt, HubTopics, StreamName
from protocol.link import MqttLink
from protocol.mqtt.message import Message
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import HubCursorRow
from server.timeutil import now_utc
from server.uplink.facts import count_above, new_ids, read_facts

log = logging.getLogger(__name__)

#: A fact read this recently may still have a lower id committing after it.
GRACE_S = 5.0
#: How often the forwarder looks for new facts when nothing wakes it.
TICK_S = 0.2


@dataclass
class StreamState:
    cursor: int = 0
    #: id → when it was last sent (monotonic).
    pending: dict[int, float] = field(default_factory=dict)
    #: id → when it was first read (monotonic): receipted, above the cursor.
    done: dict[int, float] = field(default_factory=dict)
    first_read: dict[int, float] = field(default_factory=dict)
    #: The highest id read so far.
    seen: int = 0
    cursor_saved: int = 0

    def advance(self, now: float) -> None:
        """Move the cursor over receipted facts old enough (see `GRACE_S`)."""
        lowest_pending = min(self.pending, default=None)
        for fid in sorted(self.done):
            if lowest_pending is not None and lowest_pending < fid:
                break
            if now - self.done[fid] < GRACE_S:
                break
            self.cursor = fid
            del self.done[fid]
            self.first_read.pop(fid, None)


class Forwarder:
    def __init__(self, config: SiteConfig, db: Database) -> None:
        assert config.hub is not None
        self.config = config
        self.uplink = config.hub
        self.db = db
        self.site = config.site.code
        self.topics = HubTopics(self.site, config.server.broker.prefix)
        self.link: MqttLink | None = None
        self.streams: dict[StreamName, StreamState] = {s: StreamState() for s in STREAMS}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: None until the bridge says; False while it says the WAN is down.
        self.link_up: bool | None = None
        self._resend_s = self.uplink.resend_after_s
        self._last_receipt = time.monotonic()
        self._last_resend = 0.0
        self._saved_at = 0.0

    # ------------------------------------------------------------------ lifecycle

    def attach(self, link: MqttLink) -> None:
        self.link = link
        link.subscribe(self.topics.topic("receipt"), self._on_receipt)
        link.subscribe(self.topics.topic("link"), self._on_link)

    def start(self) -> None:
        self._load_cursors()
        self._thread = threading.Thread(target=self._run, name="hub-forwarder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._save_cursors(force=True)

    def poke(self) -> None:
        """Something was committed: look now rather than at the next tick."""
        self._wake.set()

    def backlog(self) -> dict[StreamName, int]:
        """Facts committed but not yet receipted by the hub, per stream."""
        with self._lock:
            above = {name: (st.cursor, len(st.done)) for name, st in self.streams.items()}
        with self.db.read() as s:
            return {
                name: max(0, count_above(s, self.site, name, cursor) - done)
                for name, (cursor, done) in above.items()
            }

    # ------------------------------------------------------------------ MQTT (paho's thread)

    def _on_receipt(self, msg: Message) -> None:
        try:
            receipt = decode(HubReceipt, msg.payload)
        except InvalidMessage as e:
            log.warning("hub receipt refused: %s", e.detail)
        else:
            self._receipted(receipt)
        assert self.link is not None
        self.link.ack(msg)

    def _on_link(self, msg: Message) -> None:
        if msg.payload in (b"0", b"1"):
            up = msg.payload == b"1"
            if up and self.link_up is False:
                self._restart_timers()
            self.link_up = up
            self._wake.set()
        assert self.link is not None
        self.link.ack(msg)

    def _receipted(self, receipt: HubReceipt) -> None:
        if receipt.site != self.site:
            return
        now = time.monotonic()
        with self._lock:
            for name, st in self.streams.items():
                for fid in receipt.ids(name):
                    if st.pending.pop(fid, None) is not None or fid > st.cursor:
                        st.done.setdefault(fid, st.first_read.get(fid, now))
            self._last_receipt = now
            self._resend_s = self.uplink.resend_after_s
        self._wake.set()

    def _restart_timers(self) -> None:
        now = time.monotonic()
        with self._lock:
            for st in self.streams.values():
                for fid in st.pending:
                    st.pending[fid] = now

    # ------------------------------------------------------------------ the loop

    def _run(self) -> None:
        last_gap_scan = 0.0
        while not self._stop.is_set():
            self._wake.wait(TICK_S)
            self._wake.clear()
            try:
                now = time.monotonic()
                rescan = now - last_gap_scan > GRACE_S
                if rescan:
                    last_gap_scan = now
                self._step(now, rescan)
            except Exception:
                log.exception("hub forwarder: step failed; tried again")
                self._stop.wait(1.0)

    def _step(self, now: float, rescan: bool) -> None:
        if self.link is None or self.link_up is False or not self.link.connected.is_set():
            return
        resending = False
        for name, st in self.streams.items():
            with self._lock:
                st.advance(now)
                room = self.uplink.window - len(st.pending)
                due = [f for f, at in st.pending.items() if now - at >= self._resend_s]
            fresh = self._fresh_ids(name, st, room, rescan)
            if due:
                log.info(
                    "hub: %d %s unreceipted after %.0f s: sent again",
                    len(due),
                    name,
                    self._resend_s,
                )
            self._send(name, st, [*due, *fresh], now)
            resending = resending or bool(due)
        if resending:
            if self._last_receipt < self._last_resend:
                # the hub answered nothing since the last resend: wait longer next time
                self._resend_s = min(self._resend_s * 2, self.uplink.resend_after_s * 10)
            self._last_resend = now
        self._save_cursors()

    def _fresh_ids(self, name: StreamName, st: StreamState, room: int, rescan: bool) -> list[int]:
        if room <= 0:
            return []
        after = st.cursor if rescan else st.seen
        with self.db.read() as s:
            ids = new_ids(s, self.site, name, after, room + len(st.pending) + len(st.done))
        with self._lock:
            fresh = [i for i in ids if i not in st.pending and i not in st.done]
        return fresh[:room]

    def _send(self, name: StreamName, st: StreamState, ids: list[int], now: float) -> None:
        if not ids:
            return
        with self.db.read() as s:
            facts = read_facts(s, self.site, name, ids)
        assert self.link is not None
        topic = self.topics.topic("facts")
        for fact in facts:
            self.link.publish(topic, fact.to_json(), qos=FACT_QOS)
        with self._lock:
            for fact in facts:
                if fact.id in st.done:
                    continue
                st.pending[fact.id] = now
                st.first_read.setdefault(fact.id, now)
                st.seen = max(st.seen, fact.id)

    # ------------------------------------------------------------------ cursors

    def _load_cursors(self) -> None:
        with self.db.read() as s:
            rows = {r.stream: r.acked_id for r in s.scalars(select(HubCursorRow))}
        for name, st in self.streams.items():
            st.cursor = st.cursor_saved = st.seen = rows.get(name, 0)

    def _save_cursors(self, force: bool = False) -> None:
        changed = {n: st.cursor for n, st in self.streams.items() if st.cursor != st.cursor_saved}
        if not changed or (not force and time.monotonic() - self._saved_at < 1.0):
            return
        self._saved_at = time.monotonic()
        now = now_utc()
        with self.db.write() as s:
            for name, cursor in changed.items():
                s.merge(HubCursorRow(stream=name, acked_id=cursor, updated_at=now))
        for name, cursor in changed.items():
            self.streams[name].cursor_saved = cursor
