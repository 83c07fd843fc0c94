"""Issuing queue numbers to kiosks: online, merged from a kiosk's offline reserve, and
the reserve itself.

What the MQTT ingest's kiosk handlers ask of the queue, as use cases of their own so that
the handlers only decode, deduplicate and answer. They run in the ingest batch's
`Unit` (one transaction for many messages), which the ingest commits and publishes.
"""

from __future__ import annotations

from datetime import datetime

from protocol.messages import IssuedTicket, OfflineTicket
from server.db.tables import TicketRow
from server.queue.engine import QueueEngine
from server.queue.estimates import QueueSnapshot
from server.services.unit import Unit


class TicketService:
    def __init__(self, engine: QueueEngine) -> None:
        self.engine = engine

    def check(self, service: str, priority: str | None) -> None:
        """Refuse (`QueueError`) an unknown service or priority, before anything is
        written: the ingest claims the request's msg_id only after this."""
        self.engine.check_request(service, priority)

    def issue(
        self,
        unit: Unit,
        kiosk_id: str,
        service: str,
        priority: str | None,
        snapshots: dict[str, QueueSnapshot] | None = None,
    ) -> IssuedTicket:
        """A new number of ``service`` for a citizen at ``kiosk_id``. ``snapshots``: the
        queue snapshots shared by the tickets of one batch (each queue read once)."""
        return self.engine.issue(
            unit.session,
            service,
            priority,
            kiosk_id=kiosk_id,
            changes=unit.changes,
            snapshots=snapshots,
        )

    def merge_offline(
        self, unit: Unit, kiosk_id: str, ticket: OfflineTicket, received_at: datetime
    ) -> TicketRow:
        """Take a number the kiosk issued from its reserve while offline into the queue,
        at its issue time (`server.queue.reserve.merge_offline`)."""
        return self.engine.merge_offline(unit.session, kiosk_id, ticket, received_at, unit.changes)

    def renew_reserve(self, unit: Unit, kiosk_id: str) -> None:
        """A kiosk back online gets today's reserve blocks again (allocated if need be
        and published, retained, by the publisher once the unit commits)."""
        unit.changes.reserves.add(kiosk_id)
