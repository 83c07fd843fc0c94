"""A ticket's life at the desks: issue a number, call it, recall, start, finish, mark a
no-show, transfer it to another service; and close the tickets a past day left open.

The steps themselves are data (`server.queue.states`); this module supplies what each
step does beyond the common recipe: which ticket a call picks (`server.queue.policy`),
the implicit start of a visit finished without "start", the new visit a transfer opens.
Functions work inside the caller's write transaction and record what changed in a
`Changes`, which the caller publishes after the commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from protocol.codes import EventKind, TicketState
from protocol.messages import IssuedTicket
from protocol.numbers import format_number
from protocol.refusals import Reason
from server.db.tables import DeskRow, TicketRow
from server.queue import policy
from server.queue.changes import Changes
from server.queue.context import QueueContext
from server.queue.desks import hand_free, working_desk
from server.queue.dossier import checked_dossier_code
from server.queue.errors import QueueError
from server.queue.estimates import QueueSnapshot, snapshot
from server.queue.numbering import next_seq
from server.queue.queries import EVENTS, TICKETS, Head, head, normals_since_priority
from server.queue.states import (
    CALL,
    CANCEL,
    DONE,
    NO_SHOW,
    RECALL,
    START,
    TRANSFER,
    WAITING,
    advance,
    advance_in_hand,
    record_event,
)

# ------------------------------------------------------------------ issuing


def issue(
    ctx: QueueContext,
    s: Session,
    service: str,
    priority: str | None = None,
    *,
    kiosk_id: str | None = None,
    changes: Changes | None = None,
    snapshots: dict[str, QueueSnapshot] | None = None,
) -> IssuedTicket:
    """A new number for ``service``: gap-free per local day, with people ahead and ETA.

    ``snapshots`` lets a caller issuing many numbers in one transaction (a gateway
    batch) read each service's queue once and keep it up to date in memory.
    """
    svc = ctx.check_request(service, priority)
    at = ctx.clock()
    day = ctx.today(at)
    snap = snapshots.get(service) if snapshots is not None else None
    if snap is None or snap.day != day:
        snap = snapshot(ctx, s, service, day)
        if snapshots is not None:
            snapshots[service] = snap
    ahead, eta_min = snap.estimate(priority is not None, ctx.config.calling)
    seq = next_seq(s, ctx.site, service, day, ctx.zone)
    ticket_id = uuid.uuid4()
    number = format_number(svc.prefix, seq)
    # Core inserts: this is the hot path of every kiosk press.
    s.execute(
        TICKETS.insert(),
        {
            "id": ticket_id,
            "site": ctx.site,
            "service": service,
            "day": day,
            "seq": seq,
            "number": number,
            "priority": priority,
            "state": WAITING,
            "issued_at": at,
            "recall_count": 0,
            "kiosk_id": kiosk_id,
            "offline": False,
        },
    )
    s.execute(
        EVENTS.insert(),
        {
            "ticket_id": ticket_id,
            "site": ctx.site,
            "kind": EventKind.ISSUED,
            "at": at,
            "data": {"kiosk_id": kiosk_id} if kiosk_id else None,
        },
    )
    snap.add(priority is not None)
    if changes is not None:
        changes.services.add(service)
    return IssuedTicket(
        ticket_id=ticket_id,
        number=number,
        service=service,
        service_name=svc.name,
        priority=priority,
        people_ahead=ahead,
        eta_minutes=eta_min,
        issued_at=at,
        day=day,
    )


# ------------------------------------------------------------------ calling


def _ready_to_call(desk: DeskRow) -> None:
    if desk.paused:
        raise QueueError(Reason.DESK_PAUSED)
    hand_free(desk)


def _call(ctx: QueueContext, s: Session, desk: DeskRow, t: TicketRow, changes: Changes) -> None:
    def mutate(desk: DeskRow, t: TicketRow, at: datetime) -> dict[str, Any] | None:
        back_from_no_show = t.state == TicketState.NO_SHOW
        t.called_at = at
        t.first_called_at = t.first_called_at or at
        t.desk_id = desk.desk_id
        t.clerk_id = desk.clerk_id
        if back_from_no_show:
            changes.stats.add(desk.desk_id)
        return {"returned": True} if back_from_no_show else None

    advance(ctx, s, desk, t, CALL, changes, mutate)


def call_next(ctx: QueueContext, s: Session, desk_id: str, changes: Changes) -> TicketRow | None:
    """Call the next ticket for the desk's services; ``None`` if nobody waits."""
    desk = working_desk(ctx, s, desk_id)
    _ready_to_call(desk)
    services = ctx.desk_cfg(desk_id).services
    day = ctx.today()
    normal = head(ctx, s, services, day, priority=False)
    prio = head(ctx, s, services, day, priority=True)
    calling = ctx.config.calling
    chosen = policy.pick(
        Head(normal) if normal else None,
        Head(prio) if prio else None,
        calling.policy,
        calling.every_n,
        normals_since_priority(ctx, s, services, day),
    )
    if chosen is None:
        return None
    _call(ctx, s, desk, chosen.row, changes)
    return chosen.row


def call_number(
    ctx: QueueContext, s: Session, desk_id: str, number: str, changes: Changes
) -> TicketRow:
    """Call a specific number (waiting, or a no-show who came back) to this desk."""
    desk = working_desk(ctx, s, desk_id)
    _ready_to_call(desk)
    services = ctx.desk_cfg(desk_id).services
    t = s.scalar(
        select(TicketRow)
        .where(
            TicketRow.site == ctx.site,
            TicketRow.day == ctx.today(),
            TicketRow.number == number.strip().upper(),
            TicketRow.service.in_(services),
            TicketRow.state.in_(sorted(CALL.sources)),
        )
        .with_for_update()
    )
    if t is None:
        raise QueueError(Reason.NOT_FOUND, number=number)
    _call(ctx, s, desk, t, changes)
    return t


# ------------------------------------------------------------------ at the desk


def recall(ctx: QueueContext, s: Session, desk_id: str, changes: Changes) -> TicketRow:
    def mutate(desk: DeskRow, t: TicketRow, at: datetime) -> dict[str, Any]:
        t.recall_count += 1
        t.called_at = at
        return {"recall": t.recall_count}

    return advance_in_hand(ctx, s, desk_id, RECALL, changes, mutate)


def start(ctx: QueueContext, s: Session, desk_id: str, changes: Changes) -> TicketRow:
    def mutate(desk: DeskRow, t: TicketRow, at: datetime) -> None:
        t.started_at = at

    return advance_in_hand(ctx, s, desk_id, START, changes, mutate)


def done(
    ctx: QueueContext,
    s: Session,
    desk_id: str,
    changes: Changes,
    dossier_code: str | None = None,
) -> TicketRow:
    """Finish the service; the pad at this desk then asks the citizen to rate it.
    ``dossier_code``: the mã hồ sơ typed or scanned from the appointment slip."""
    code = checked_dossier_code(dossier_code) if dossier_code is not None else None

    def mutate(desk: DeskRow, t: TicketRow, at: datetime) -> dict[str, Any] | None:
        if t.state == TicketState.CALLED:  # the clerk skipped "start": count from the call
            t.started_at = t.called_at
            record_event(ctx, s, t, START.event, at, {"implicit": True})
        if code is not None:
            t.dossier_code = code
        desk.rating_ticket_id = t.id
        return {"dossier_code": code} if code is not None else None

    return advance_in_hand(ctx, s, desk_id, DONE, changes, mutate)


def no_show(ctx: QueueContext, s: Session, desk_id: str, changes: Changes) -> TicketRow:
    return advance_in_hand(ctx, s, desk_id, NO_SHOW, changes)


def transfer(
    ctx: QueueContext, s: Session, desk_id: str, to_service: str, changes: Changes
) -> TicketRow:
    """Send the citizen to another service, keeping the number and the original issue
    time, so they rejoin that queue at their original place."""

    def mutate(desk: DeskRow, t: TicketRow, at: datetime) -> dict[str, Any]:
        ctx.service(to_service)
        if to_service == t.service:
            raise QueueError(Reason.SAME_SERVICE)
        return {"to": to_service}

    t = advance_in_hand(ctx, s, desk_id, TRANSFER, changes, mutate)
    at = t.ended_at
    assert at is not None
    new = TicketRow(
        id=uuid.uuid4(),
        site=ctx.site,
        service=to_service,
        day=t.day,
        seq=None,
        number=t.number,
        priority=t.priority,
        state=WAITING,
        issued_at=t.issued_at,
        recall_count=0,
        kiosk_id=t.kiosk_id,
        offline=t.offline,
        transferred_from=t.id,
    )
    s.add(new)
    record_event(
        ctx, s, new, EventKind.ISSUED, at, {"transferred_from": str(t.id), "from": t.service}
    )
    changes.services.add(to_service)
    s.flush()
    return new


# ------------------------------------------------------------------ day close


def close_previous_days(ctx: QueueContext, s: Session, changes: Changes) -> int:
    """Cancel tickets left open from earlier days (the numbering restarts each day)."""
    today = ctx.today()
    stale = list(
        s.scalars(
            select(TicketRow)
            .where(
                TicketRow.site == ctx.site,
                TicketRow.day < today,
                TicketRow.state.in_(sorted(CANCEL.sources)),
            )
            .with_for_update()
        )
    )
    at = ctx.clock()
    for t in stale:
        t.state = CANCEL.target
        t.ended_at = at
        record_event(ctx, s, t, CANCEL.event, at, {"reason": "day_closed"})
        changes.services.add(t.service)
    if stale:
        ids = [t.id for t in stale]
        s.execute(
            update(DeskRow)
            .where(DeskRow.site == ctx.site, DeskRow.ticket_id.in_(ids))
            .values(ticket_id=None, updated_at=at)
        )
        changes.desks |= {t.desk_id for t in stale if t.desk_id}
    return len(stale)
