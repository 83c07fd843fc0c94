"""The retained ``desk/{id}/state``: whether the desk is open or paused, the clerk on
duty, the ticket in hand and the visit awaiting its rating — what the pad and the board
show.

A read model: it only reads the desk's row and the tickets it points at. The clerk is
sent by id and name only; a photo, if a site ever gives one, is for the HTTP side to
serve, not for the queue to invent a URL for.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.codes import TicketState
from protocol.messages import AwaitingRating, ClerkInfo, DeskState, TicketInHand
from server.db.tables import DeskRow, RatingRow, TicketRow
from server.queue.context import QueueContext
from server.queue.states import IN_HAND


def desk_state(ctx: QueueContext, s: Session, desk_id: str) -> DeskState:
    cfg = ctx.desk_cfg(desk_id)
    row = s.scalar(select(DeskRow).where(DeskRow.site == ctx.site, DeskRow.desk_id == desk_id))
    if row is None:
        return DeskState(
            desk_id=desk_id,
            name=cfg.name,
            services=cfg.services,
            open=False,
            updated_at=ctx.clock(),
        )
    clerk = None
    if row.clerk_id and row.clerk_id in ctx.config.clerk_by_id:
        c = ctx.config.clerk_by_id[row.clerk_id]
        clerk = ClerkInfo(id=c.id, name=c.name)
    return DeskState(
        desk_id=desk_id,
        name=cfg.name,
        services=cfg.services,
        open=row.open,
        paused=row.paused,
        pause_reason=row.pause_reason,
        clerk=clerk,
        serving=_in_hand(s, row),
        awaiting_rating=_awaiting_rating(ctx, s, row),
        updated_at=row.updated_at,
    )


def _in_hand(s: Session, row: DeskRow) -> TicketInHand | None:
    if row.ticket_id is None:
        return None
    t = s.get(TicketRow, row.ticket_id)
    if t is None or t.called_at is None or t.state not in IN_HAND:
        return None
    return TicketInHand(
        ticket_id=t.id,
        number=t.number,
        service=t.service,
        priority=t.priority,
        state="called" if t.state == TicketState.CALLED else "serving",
        called_at=t.called_at,
        started_at=t.started_at,
        recall_count=t.recall_count,
    )


def _awaiting_rating(ctx: QueueContext, s: Session, row: DeskRow) -> AwaitingRating | None:
    """The visit finished last at this desk, while the citizen may still rate it."""
    if row.rating_ticket_id is None:
        return None
    t = s.get(TicketRow, row.rating_ticket_id)
    window = timedelta(minutes=ctx.config.rating.window_minutes)
    if t is None or t.ended_at is None or t.ended_at + window <= ctx.clock():
        return None
    if s.scalar(select(RatingRow.id).where(RatingRow.ticket_id == t.id)) is not None:
        return None
    return AwaitingRating(
        ticket_id=t.id,
        number=t.number,
        service=t.service,
        clerk_id=t.clerk_id,
        done_at=t.ended_at,
        expires_at=t.ended_at + window,
    )
