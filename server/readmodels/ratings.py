"""The latest ratings as the dashboard shows them: level, praise and complaints, where
it was given (pad, kiosk, phone) and a phone rating's comment, with the ticket number,
desk and clerk they belong to.

Shared by the dashboard's first snapshot and the live push of new ratings, so both say
the same thing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.db.tables import RatingRow, TicketRow


class RatingView(BaseModel):
    ticket_id: uuid.UUID
    number: str
    desk_id: str
    desk_name: str
    clerk_id: str | None
    clerk_name: str | None
    service: str
    #: The official level (very_satisfied / satisfied / dissatisfied) and the pad's own.
    level: str
    level_raw: str
    praised: list[str]
    reasons: list[str]
    partial: bool
    #: Where it was given: pad, kiosk or phone; and a phone rating's optional comment.
    source: str
    comment: str | None = None
    received_at: datetime


def rating_views(
    s: Session,
    config: SiteConfig,
    ticket_ids: Iterable[uuid.UUID] | None = None,
    limit: int = 30,
) -> list[RatingView]:
    """Ratings of the given tickets, or the latest ``limit`` of the site; newest first."""
    q = (
        select(RatingRow, TicketRow.number)
        .join(TicketRow, TicketRow.id == RatingRow.ticket_id)
        .where(RatingRow.site == config.site.code)
    )
    if ticket_ids is not None:
        ids = list(ticket_ids)
        if not ids:
            return []
        q = q.where(RatingRow.ticket_id.in_(ids))
    else:
        q = q.limit(limit)
    q = q.order_by(RatingRow.received_at.desc(), RatingRow.id.desc())
    out = []
    for r, number in s.execute(q):
        desk = config.desk_by_id.get(r.desk_id)
        clerk = config.clerk_by_id.get(r.clerk_id) if r.clerk_id else None
        out.append(
            RatingView(
                ticket_id=r.ticket_id,
                number=number,
                desk_id=r.desk_id,
                desk_name=desk.name if desk else r.desk_id,
                clerk_id=r.clerk_id,
                clerk_name=clerk.name if clerk else None,
                service=r.service,
                level=r.level,
                level_raw=r.level_raw,
                praised=list(r.praised or []),
                reasons=list(r.reasons or []),
                partial=r.partial,
                source=r.source,
                comment=r.comment,
                received_at=r.received_at,
            )
        )
    return out
