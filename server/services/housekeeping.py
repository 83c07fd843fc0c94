"""Housekeeping: close earlier days' tickets and let expired rating windows lapse.

A use case of its own, which the runtime schedules every `HOUSEKEEPING_EVERY_S`, not a
side job of the MQTT ingest loop: it has nothing to do with device messages, and a busy
or stalled ingest must not keep the pads asking for a rating long after its window.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import DeskRow, TicketRow
from server.queue.engine import QueueEngine
from server.services.unit import Publisher, transaction
from server.timeutil import now_utc

HOUSEKEEPING_EVERY_S = 30.0


class Housekeeping:
    def __init__(
        self, config: SiteConfig, db: Database, engine: QueueEngine, publisher: Publisher
    ) -> None:
        self.config = config
        self.db = db
        self.engine = engine
        self.publisher = publisher

    def run(self) -> None:
        """Close earlier days' tickets and let expired rating windows lapse on the pads."""
        now = now_utc()
        window = timedelta(minutes=self.config.rating.window_minutes)
        with transaction(self.db, self.publisher) as u:
            self.engine.close_previous_days(u.session, u.changes)
            rows = u.session.execute(
                select(DeskRow, TicketRow.ended_at)
                .join(TicketRow, TicketRow.id == DeskRow.rating_ticket_id)
                .where(DeskRow.site == self.config.site.code)
            ).all()
            for desk, ended_at in rows:
                if ended_at is None or ended_at + window <= now:
                    desk.rating_ticket_id = None
                    desk.updated_at = now
                    u.changes.desks.add(desk.desk_id)
