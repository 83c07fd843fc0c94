"""The pad's work without Kivy: the desk's state, sending ratings, health.

Listeners registered with ``on_change`` are called from the MQTT thread. Ratings go
through the durable outbox (stored before the thank-you screen, resent until the
server's receipt). The tickets already answered on this pad are kept on disk, so a
restart never asks the same citizen twice.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from protocol.clock import now_utc
from protocol.conduct import RawLevel
from protocol.localstore import open_sqlite
from protocol.messages import DeskRating, DeskState
from protocol.mqtt.message import Message
from rating_pad.config import PadConfig
from touch_ui.device_core import DeviceCore

log = logging.getLogger(__name__)

#: The server online and no state of the pad's desk this long after subscribing: the
#: broker does not give the pad that desk.
DESK_WAIT_S = 8.0


class Answered:
    """Tickets this pad has sent a rating for (SQLite, survives restarts)."""

    def __init__(self, path: str) -> None:
        self._db = open_sqlite(path, durable=True)
        self._lock = threading.Lock()
        with self._lock:
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


class PadCore(DeviceCore):
    def __init__(self, config: PadConfig, *, clock: Callable[[], datetime] = now_utc) -> None:
        super().__init__(config, health_every_s=config.health_every_s, clock=clock)
        self.config: PadConfig = config
        self.answered = Answered(str(config.state_dir / f"{config.device_id}.answered.db"))
        self.desk: DeskState | None = None
        #: The broker does not give this pad its desk: the desk is not the site YAML's.
        self.wrong_desk = False
        self._ready_at: float | None = None

    def subscribe(self) -> None:
        self.link.subscribe(self.topics.desk_state(self.config.desk_id), self._on_desk)
        self.link.connection.on_subscription_refused(self._on_refused)

    def _on_refused(self, topic_filter: str) -> None:
        """The broker's ACL refuses this pad its desk (on paho's thread)."""
        if topic_filter and topic_filter != self.topics.desk_state(self.config.desk_id):
            return
        self._desk_refused()

    def check_desk(self) -> bool:
        """Whether this pad's desk is refused to it (called every few seconds).

        Mosquitto grants a subscription its ACL does not allow and then delivers nothing
        (no SUBACK failure): the sign is the server online, every subscription
        acknowledged and still no retained state of the desk after ``DESK_WAIT_S``.
        """
        link = self.link
        ready = link.connection.subs_ready.is_set() and link.server_online.is_set()
        if self.desk is not None or not ready:
            self._ready_at = None
            return self.wrong_desk
        now = time.monotonic()
        if self._ready_at is None:
            self._ready_at = now
        elif now - self._ready_at >= DESK_WAIT_S:
            self._desk_refused()
        return self.wrong_desk

    def _desk_refused(self) -> None:
        if self.wrong_desk:
            return
        log.error(
            "pad %s is configured for desk %s, but the broker refuses it that desk's "
            "news: check desk_id in the pad's YAML and the pad's `desk` in the site YAML",
            self.config.device_id,
            self.config.desk_id,
        )
        self.wrong_desk = True
        self.changed()

    def close(self) -> None:
        self.answered.close()

    def _on_desk(self, msg: Message) -> None:
        state = self.decoded(DeskState, msg)
        if state is None or state.desk_id != self.config.desk_id:
            return
        self.desk = state
        self.wrong_desk = False
        self.changed()

    def to_rate(self) -> tuple[uuid.UUID, str] | None:
        """The ticket waiting for this pad's rating (not answered here yet), if any."""
        awaiting = self.desk.awaiting_rating if self.desk else None
        if awaiting is None or awaiting.ticket_id in self.answered:
            return None
        if awaiting.expires_at <= self.server_now():  # the server's time, as expires_at
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
            clock_offset_s=self.clock_offset(),
            ticket_id=ticket_id,
            level=level,
            praised=praised,
            reasons=reasons,
            partial=partial,
        )
        self.link.publish_event(self.topics.desk_rating(self.config.desk_id), rating)
        self.answered.add(ticket_id, rating.sent_at)
        self.report_health_now()  # the outbox depth changed
        return rating
