"""Publishes the server's retained state (queues, desks, stats) and board calls.

Called after each commit with the `Changes` of that transaction; every message is
rebuilt from the database, so what devices see is what was committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import BaseModel

from protocol.link import MqttLink
from protocol.messages import BoardCall
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import TicketRow
from server.queue.engine import Changes, QueueEngine
from server.stats import desk_stats

log = logging.getLogger(__name__)

Listener = Callable[[str, BaseModel], None]


class StatePublisher:
    def __init__(
        self, config: SiteConfig, db: Database, engine: QueueEngine, link: MqttLink | None
    ) -> None:
        self.config = config
        self.db = db
        self.engine = engine
        self.link = link
        self.topics = config.topics
        #: In-process listeners (the web app's live views): called with (topic, message).
        self.listeners: list[Listener] = []

    def everything(self) -> Changes:
        return Changes(
            services={s.code for s in self.config.services},
            desks={d.id for d in self.config.desks},
            stats={d.id for d in self.config.desks},
        )

    def publish(self, changes: Changes) -> None:
        if not changes:
            return
        out: list[tuple[str, BaseModel, bool]] = []
        with self.db.read() as s:
            for svc in sorted(changes.services):
                out.append((self.topics.queue(svc), self.engine.queue_state(s, svc), True))
            for desk in sorted(changes.desks):
                out.append((self.topics.desk_state(desk), self.engine.desk_state(s, desk), True))
            day = self.engine.today()
            for desk in sorted(changes.stats):
                out.append(
                    (self.topics.desk_stats(desk), desk_stats(s, self.config, desk, day), True)
                )
            for ticket_id in changes.calls:
                t = s.get(TicketRow, ticket_id)
                if t is None or t.desk_id is None or t.called_at is None:
                    continue
                desk_cfg = self.config.desk_by_id[t.desk_id]
                call = BoardCall(
                    ticket_id=t.id,
                    number=t.number,
                    desk_id=t.desk_id,
                    desk_name=desk_cfg.name,
                    service=t.service,
                    called_at=t.called_at,
                    recall_count=t.recall_count,
                )
                out.append((self.topics.board_call(), call, False))
        for topic, message, retain in out:
            if self.link is not None:
                self.link.publish(topic, message, qos=1, retain=retain)
            for listener in self.listeners:
                try:
                    listener(topic, message)
                except Exception:
                    log.exception("state listener failed")
