"""The dossier code (mã hồ sơ) of a visit: checked when it is given at "done", and added
or corrected afterwards while the visit just finished at the desk is still open.

Apart from `server.queue.tickets` because it changes no ticket state: it annotates a
finished visit, within the rating window (`last_visit`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.codes import EventKind, TicketState
from protocol.refusals import Reason
from protocol.text import TextRefused, check_dossier_code
from server.db.tables import DeskRow, TicketRow
from server.queue.changes import Changes
from server.queue.context import QueueContext
from server.queue.desks import locked_desk
from server.queue.errors import QueueError
from server.queue.states import record_event


def checked_dossier_code(value: str) -> str:
    """A valid dossier code, or a `QueueError` saying why (nothing is stored)."""
    try:
        return check_dossier_code(value)
    except TextRefused as e:
        raise QueueError(e.code, variant=e.variant, **e.params) from None


def last_visit(ctx: QueueContext, s: Session, desk_id: str) -> tuple[TicketRow | None, bool]:
    """The visit finished last at this desk (today), and whether its dossier code may
    still be added or corrected: while it awaits its rating or within the rating
    window after it ended."""
    ctx.desk_cfg(desk_id)
    desk = s.scalar(select(DeskRow).where(DeskRow.site == ctx.site, DeskRow.desk_id == desk_id))
    if desk is None:
        return None, False
    t = s.get(TicketRow, desk.rating_ticket_id) if desk.rating_ticket_id else None
    if t is None:
        t = s.scalar(
            select(TicketRow)
            .where(
                TicketRow.site == ctx.site,
                TicketRow.desk_id == desk_id,
                TicketRow.day == ctx.today(),
                TicketRow.state == TicketState.DONE,
            )
            .order_by(TicketRow.ended_at.desc(), TicketRow.called_at.desc())
            .limit(1)
        )
    if t is None or t.ended_at is None:
        return None, False
    now = ctx.clock()
    awaiting = t.id == desk.rating_ticket_id and ctx.today(t.ended_at) == ctx.today(now)
    window = timedelta(minutes=ctx.config.rating.window_minutes)
    return t, awaiting or t.ended_at + window > now


def set_dossier_code(
    ctx: QueueContext,
    s: Session,
    desk_id: str,
    dossier_code: str,
    changes: Changes,
    ticket_id: uuid.UUID | None = None,
) -> TicketRow:
    """Add or correct the dossier code of the visit just finished at this desk (a
    clerk often scans the slip after pressing "done"). ``ticket_id``: the visit the
    clerk means; refused if the desk has finished another one since."""
    code = checked_dossier_code(dossier_code)
    locked_desk(ctx, s, desk_id)  # one change at a time
    t, open_ = last_visit(ctx, s, desk_id)
    if t is None or not open_:
        raise QueueError(Reason.NO_RECENT_VISIT, minutes=ctx.config.rating.window_minutes)
    if ticket_id is not None and ticket_id != t.id:
        raise QueueError(Reason.VISIT_CHANGED, number=t.number)
    if t.dossier_code != code:  # the desk row's lock also guards its last visit
        record_event(
            ctx, s, t, EventKind.DOSSIER, ctx.clock(), {"dossier_code": code, "was": t.dossier_code}
        )
        t.dossier_code = code  # nothing published shows it: ``changes`` stays as is
    return t
