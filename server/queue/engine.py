"""`QueueEngine`: one object with every queue operation, for the callers that hold one.

A thin façade over the modules of `server.queue`: it is the `QueueContext` (site
configuration and clock) and delegates each method, with the same signature, to the
module that does the work:

- `server.queue.tickets`: issue, call, recall, start, done, no-show, transfer, day close;
- `server.queue.states`: the lifecycle as data and the one transition helper;
- `server.queue.desks`: desk sessions (open, close, pause, resume);
- `server.queue.dossier`: the dossier code of a finished visit;
- `server.queue.reserve`: the kiosks' offline reserve blocks and merging their tickets;
- `server.queue.estimates`: people ahead and the estimated wait;

Methods work inside a caller's write transaction and record what changed in a
`Changes`, which the caller publishes after the commit. New code may call the modules
directly; this class keeps the existing callers working while they move over.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

from protocol.messages import IssuedTicket, OfflineTicket, ReserveBlocks
from server.db.tables import DeskRow, TicketRow
from server.queue import desks, dossier, estimates, queries, reserve, tickets
from server.queue.changes import Changes
from server.queue.context import QueueContext
from server.queue.estimates import QueueSnapshot


class QueueEngine(QueueContext):
    """Every queue operation of one site, on one clock (see the module docstring)."""

    # ------------------------------------------------------------------ issuing

    def issue(
        self,
        s: Session,
        service: str,
        priority: str | None = None,
        *,
        kiosk_id: str | None = None,
        changes: Changes | None = None,
        snapshots: dict[str, QueueSnapshot] | None = None,
    ) -> IssuedTicket:
        """See `server.queue.tickets.issue`."""
        return tickets.issue(
            self, s, service, priority, kiosk_id=kiosk_id, changes=changes, snapshots=snapshots
        )

    # ------------------------------------------------------------------ offline reserve

    def reserve_blocks(
        self, s: Session, kiosk_id: str, day: date | None = None, *, allocate: bool = True
    ) -> ReserveBlocks | None:
        """See `server.queue.reserve.reserve_blocks`."""
        return reserve.reserve_blocks(self, s, kiosk_id, day, allocate=allocate)

    def merge_offline(
        self,
        s: Session,
        kiosk_id: str,
        ticket: OfflineTicket,
        received_at: datetime,
        changes: Changes,
    ) -> TicketRow:
        """See `server.queue.reserve.merge_offline`."""
        return reserve.merge_offline(self, s, kiosk_id, ticket, received_at, changes)

    # ------------------------------------------------------------------ estimates

    def open_desks(self, s: Session, service: str) -> int:
        return queries.open_desks(self, s, service)

    def median_service_minutes(self, s: Session, service: str) -> float:
        return estimates.median_service_minutes(self, s, service)

    def snapshot(self, s: Session, service: str, day: date) -> QueueSnapshot:
        """See `server.queue.estimates.snapshot`."""
        return estimates.snapshot(self, s, service, day)

    def estimate(self, s: Session, service: str, is_priority: bool, day: date) -> tuple[int, int]:
        """(people ahead, ETA minutes) for a new ticket of ``service``."""
        return estimates.estimate(self, s, service, is_priority, day)

    # ------------------------------------------------------------------ calling

    def call_next(self, s: Session, desk_id: str, changes: Changes) -> TicketRow | None:
        """See `server.queue.tickets.call_next`."""
        return tickets.call_next(self, s, desk_id, changes)

    def call_number(self, s: Session, desk_id: str, number: str, changes: Changes) -> TicketRow:
        """See `server.queue.tickets.call_number`."""
        return tickets.call_number(self, s, desk_id, number, changes)

    def recall(self, s: Session, desk_id: str, changes: Changes) -> TicketRow:
        return tickets.recall(self, s, desk_id, changes)

    def start(self, s: Session, desk_id: str, changes: Changes) -> TicketRow:
        return tickets.start(self, s, desk_id, changes)

    def done(
        self, s: Session, desk_id: str, changes: Changes, dossier_code: str | None = None
    ) -> TicketRow:
        """See `server.queue.tickets.done`."""
        return tickets.done(self, s, desk_id, changes, dossier_code)

    def no_show(self, s: Session, desk_id: str, changes: Changes) -> TicketRow:
        return tickets.no_show(self, s, desk_id, changes)

    def transfer(self, s: Session, desk_id: str, to_service: str, changes: Changes) -> TicketRow:
        """See `server.queue.tickets.transfer`."""
        return tickets.transfer(self, s, desk_id, to_service, changes)

    def close_previous_days(self, s: Session, changes: Changes) -> int:
        """See `server.queue.tickets.close_previous_days`."""
        return tickets.close_previous_days(self, s, changes)

    # ------------------------------------------------------------------ dossier code

    def last_visit(self, s: Session, desk_id: str) -> tuple[TicketRow | None, bool]:
        """See `server.queue.dossier.last_visit`."""
        return dossier.last_visit(self, s, desk_id)

    def set_dossier_code(
        self,
        s: Session,
        desk_id: str,
        dossier_code: str,
        changes: Changes,
        ticket_id: uuid.UUID | None = None,
    ) -> TicketRow:
        """See `server.queue.dossier.set_dossier_code`."""
        return dossier.set_dossier_code(self, s, desk_id, dossier_code, changes, ticket_id)

    # ------------------------------------------------------------------ desks

    def ensure_desks(self, s: Session) -> None:
        """See `server.queue.desks.ensure_desks`."""
        desks.ensure_desks(self, s)

    def open_desk(
        self, s: Session, desk_id: str, clerk_id: str, changes: Changes, *, force: bool = False
    ) -> DeskRow:
        """See `server.queue.desks.open_desk`."""
        return desks.open_desk(self, s, desk_id, clerk_id, changes, force=force)

    def close_desk(self, s: Session, desk_id: str, changes: Changes) -> DeskRow:
        return desks.close_desk(self, s, desk_id, changes)

    def pause(self, s: Session, desk_id: str, reason: str, changes: Changes) -> DeskRow:
        return desks.pause(self, s, desk_id, reason, changes)

    def resume(self, s: Session, desk_id: str, changes: Changes) -> DeskRow:
        return desks.resume(self, s, desk_id, changes)
