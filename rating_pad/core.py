"""The pad's work without Kivy: the desk's state, sending ratings, health.

Listeners registered with ``on_change`` are called from the MQTT thread. Ratings go
through the durable outbox (stored before the thank-you screen, resent until the
server's receipt). The tickets already answered on this pad are kept on disk, so a
restart never asks the same citizen twice.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

import paho.mqtt.client as mqtt

from protocol.conduct import RawLevel
from protocol.link import MqttLink, now_utc
from protocol.messages import DeskRating, DeskState, DeviceHealth, InvalidMessage, decode
from rating_pad.config import PadConfig

log = logging.getLogger(__name__)

try:
    from importlib.metadata import version

    APP_VERSION = version("motcua")
except Exception:  # a source tree that was never installed
    APP_VERSION = "0+unknown"


class Answered:
    """Tickets this pad has sent a rating for (SQLite, survives restarts)."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS answered (ticket_id TEXT PRIMARY KEY, at TEXT)"
            )

    def add(self, ticket_id: uuid.UUID, at: datetime) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO answered VALUES (?, ?)", (str(ticket_id), at.isoformat())
            )

    def __contains__(self, ticket_id: uuid.UUID) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM answered WHERE ticket_id = ?", (str(ticket_id),)
            ).fetchone()
        return row is not None

    def close(self) -> None:
        with self._lock:
            self._db.close()


class PadCore:
    def __init__(self, config: PadConfig, *, clock: Callable[[], datetime] = now_utc) -> None:
        self.config = config
        self.clock = clock
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.answered = Answered(str(config.state_dir / f"{config.device_id}.answered.db"))
        self.link = MqttLink(
            config.broker,
            config.site,
            config.device_id,
            outbox_path=config.state_dir / f"{config.device_id}.outbox.db",
        )
        self.topics = self.link.topics
        self.desk: DeskState | None = None
        self._listeners: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._health_thread: threading.Thread | None = None

    def start(self) -> None:
        self.link.subscribe(self.topics.desk_state(self.config.desk_id), self._on_desk)
        self.link.on_connected(self._wake.set)
        self.link.start()
        self._health_thread = threading.Thread(
            target=self._health_loop, name="pad-health", daemon=True
        )
        self._health_thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._health_thread is not None:
            self._health_thread.join(timeout=5)
        self.link.stop()
        self.answered.close()

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    @property
    def online(self) -> bool:
        return self.link.connected.is_set() and self.link.server_online.is_set()

    def _on_desk(self, msg: mqtt.MQTTMessage) -> None:
        if not msg.payload:
            return
        try:
            state = decode(DeskState, msg.payload)
        except InvalidMessage as e:
            log.warning("ignored an invalid desk state: %s", e)
            return
        if state.desk_id != self.config.desk_id:
            return
        self.desk = state
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("pad listener failed")

    def to_rate(self) -> tuple[uuid.UUID, str] | None:
        """The ticket waiting for this pad's rating (not answered here yet), if any."""
        awaiting = self.desk.awaiting_rating if self.desk else None
        if awaiting is None or awaiting.ticket_id in self.answered:
            return None
        if awaiting.expires_at <= self.clock():
            return None
        return awaiting.ticket_id, awaiting.number

    def send_rating(
        self,
        ticket_id: uuid.UUID,
        level: RawLevel,
        praised: list[str],
        reasons: list[str],
        *,
        partial: bool = False,
    ) -> DeskRating:
        """Store the rating in the outbox (it will reach the server) and remember it."""
        rating = DeskRating(
            device_id=self.config.device_id,
            sent_at=self.clock(),
            ticket_id=ticket_id,
            level=level,
            praised=praised,
            reasons=reasons,
            partial=partial,
        )
        self.link.publish_event(self.topics.desk_rating(self.config.desk_id), rating)
        self.answered.add(ticket_id, rating.sent_at)
        self._wake.set()
        return rating

    def health(self) -> DeviceHealth:
        return DeviceHealth(
            device_id=self.config.device_id,
            sent_at=self.clock(),
            app_version=APP_VERSION,
            boot_id=self.link.boot_id,
            outbox_depth=self.link.outbox_depth(),
        )

    def _health_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.config.health_every_s)
            self._wake.clear()
            if not self._stop.is_set() and self.link.connected.is_set():
                self.link.publish(
                    self.topics.device_health(self.config.device_id), self.health(), retain=True
                )
