"""Desk sessions: a clerk opens a desk, pauses, resumes and closes it.

The ``desks`` row holds the current state (open, paused, who is logged in, the ticket in
hand); every change appends a `DeskEventRow`. Also the desk lookups the ticket lifecycle
starts from: the desk row locked for this transaction, "a working desk" (open), and the
ticket in its hand. Separate from `server.queue.tickets` because a session changes what
a desk *can* do, not any ticket.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.codes import DeskEventKind
from protocol.refusals import Reason
from server.db.tables import DeskEventRow, DeskRow, TicketRow
from server.queue.changes import Changes
from server.queue.context import QueueContext
from server.queue.errors import QueueError


def ensure_desks(ctx: QueueContext, s: Session) -> None:
    """Create a (closed) state row for every configured desk that has none."""
    have = set(s.scalars(select(DeskRow.desk_id).where(DeskRow.site == ctx.site)))
    for desk in ctx.config.desks:
        if desk.id not in have:
            s.add(
                DeskRow(
                    site=ctx.site,
                    desk_id=desk.id,
                    open=False,
                    paused=False,
                    updated_at=ctx.clock(),
                )
            )
    s.flush()


def locked_desk(ctx: QueueContext, s: Session, desk_id: str) -> DeskRow:
    """The desk's row, locked for this transaction (one change at a time per desk)."""
    ctx.desk_cfg(desk_id)
    row = s.scalar(
        select(DeskRow)
        .where(DeskRow.site == ctx.site, DeskRow.desk_id == desk_id)
        .with_for_update()
    )
    if row is None:
        ensure_desks(ctx, s)
        row = s.scalar(select(DeskRow).where(DeskRow.site == ctx.site, DeskRow.desk_id == desk_id))
        assert row is not None
    return row


def working_desk(ctx: QueueContext, s: Session, desk_id: str) -> DeskRow:
    """The desk's locked row, or ``desk_closed`` if no clerk is logged in there."""
    desk = locked_desk(ctx, s, desk_id)
    if not desk.open:
        raise QueueError(Reason.DESK_CLOSED)
    return desk


def in_hand(s: Session, desk: DeskRow) -> TicketRow:
    """The ticket the desk has called or is serving, locked, or ``no_ticket``."""
    if desk.ticket_id is None:
        raise QueueError(Reason.NO_TICKET)
    t = s.get(TicketRow, desk.ticket_id, with_for_update=True)
    assert t is not None
    return t


def hand_free(desk: DeskRow, doing: str | None = None) -> None:
    """Refuse (``desk_busy``) while the desk has a ticket in hand; ``doing``: what the
    clerk wanted to do, as the refusal's variant (``"close"``; calling by default)."""
    if desk.ticket_id is not None:
        raise QueueError(Reason.DESK_BUSY, variant=doing)


def _desk_event(
    ctx: QueueContext,
    s: Session,
    desk: DeskRow,
    kind: DeskEventKind,
    at: datetime,
    reason: str | None = None,
) -> None:
    s.add(
        DeskEventRow(
            site=ctx.site,
            desk_id=desk.desk_id,
            kind=kind,
            at=at,
            clerk_id=desk.clerk_id,
            reason=reason,
        )
    )


def _session_changed(ctx: QueueContext, desk_id: str, changes: Changes) -> None:
    """A session change moves the desk and the open-desk count (ETA) of its services."""
    changes.desks.add(desk_id)
    changes.services |= set(ctx.desk_cfg(desk_id).services)


def open_desk(
    ctx: QueueContext,
    s: Session,
    desk_id: str,
    clerk_id: str,
    changes: Changes,
    *,
    force: bool = False,
) -> DeskRow:
    """A clerk logs in at a desk; the desk then counts as open for calls and ETA."""
    if clerk_id not in ctx.config.clerk_by_id:
        raise QueueError(Reason.UNKNOWN_CLERK, clerk=clerk_id)
    desk = locked_desk(ctx, s, desk_id)
    if desk.open and desk.clerk_id not in (None, clerk_id) and not force:
        raise QueueError(Reason.DESK_TAKEN)
    elsewhere = s.scalar(
        select(DeskRow.desk_id).where(
            DeskRow.site == ctx.site,
            DeskRow.open.is_(True),
            DeskRow.clerk_id == clerk_id,
            DeskRow.desk_id != desk_id,
        )
    )
    if elsewhere is not None and not force:
        # One clerk, one desk: a second open desk would call people to an empty chair
        # and count twice in every ETA.
        raise QueueError(Reason.CLERK_ELSEWHERE, desk=ctx.desk_cfg(elsewhere).name)
    at = ctx.clock()
    desk.open = True
    desk.clerk_id = clerk_id
    desk.updated_at = at
    _desk_event(ctx, s, desk, DeskEventKind.OPEN, at)
    _session_changed(ctx, desk_id, changes)
    return desk


def close_desk(ctx: QueueContext, s: Session, desk_id: str, changes: Changes) -> DeskRow:
    desk = locked_desk(ctx, s, desk_id)
    hand_free(desk, "close")
    at = ctx.clock()
    _desk_event(ctx, s, desk, DeskEventKind.CLOSE, at)
    desk.open = False
    desk.paused = False
    desk.pause_reason = None
    desk.clerk_id = None
    desk.updated_at = at
    _session_changed(ctx, desk_id, changes)
    return desk


def pause(ctx: QueueContext, s: Session, desk_id: str, reason: str, changes: Changes) -> DeskRow:
    desk = working_desk(ctx, s, desk_id)
    reason = " ".join(reason.split())
    if not reason or len(reason) > 200:
        raise QueueError(Reason.BAD_REASON)
    hand_free(desk, "pause")
    at = ctx.clock()
    desk.paused = True
    desk.pause_reason = reason
    desk.updated_at = at
    _desk_event(ctx, s, desk, DeskEventKind.PAUSE, at, reason)
    _session_changed(ctx, desk_id, changes)
    return desk


def resume(ctx: QueueContext, s: Session, desk_id: str, changes: Changes) -> DeskRow:
    desk = working_desk(ctx, s, desk_id)
    if not desk.paused:
        raise QueueError(Reason.NOT_PAUSED)
    at = ctx.clock()
    desk.paused = False
    desk.pause_reason = None
    desk.updated_at = at
    _desk_event(ctx, s, desk, DeskEventKind.RESUME, at)
    _session_changed(ctx, desk_id, changes)
    return desk
