"""The pad's work without Kivy: the desk's state, sending ratings, health.

Listeners registered with ``on_change`` are called from the MQTT thread. Ratings go
through the durable outbox (stored before the thank-you screen, resent until the
server's receipt). The tickets already answered on this pad are kept on disk, so a
restart never asks the same citizen twice.
"""

from __future__ import annotations

import logging
import threading
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

    def subscribe(self) -> None:
        self.link.subscribe(self.topics.desk_state(self.config.desk_id), self._on_desk)

    def close(self) -> None:
        self.answered.close()

    def _on_desk(self, msg: Message) -> None:
        state = self.decoded(DeskState, msg)
        if state is None or state.desk_id != self.config.desk_id:
            return
        self.desk = state
        self.changed()

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
        self.report_health_now()  # the outbox depth changed
        return rating
