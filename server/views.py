"""Read models of the live views (dashboard): devices and ratings as the browser sees them.

Shared by the JSON API, the dashboard's first snapshot and the live push, so all three
say the same thing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.db.tables import DeviceRow, RatingRow, TicketRow


class DeviceView(BaseModel):
    id: str
    kind: str
    name: str
    desk: str | None
    #: online / offline / never_seen (not since the server's database was made) /
    #: unknown (the server's own broker link is down: it cannot know)
    status: str
    since: datetime | None
    last_seen: datetime | None
    health: dict[str, Any] | None
    #: From the last health report: ok / paper_near_end / paper_out / cover_open / offline.
    printer: str | None
    outbox_depth: int | None


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
    source: str
    received_at: datetime


def device_views(
    s: Session,
    config: SiteConfig,
    ids: Iterable[str] | None = None,
    *,
    presence_known: bool = True,
) -> list[DeviceView]:
    """``presence_known=False`` while the server's broker link is down: a device's last
    known status may no longer hold, so it is shown as unknown, not online."""
    wanted = set(ids) if ids is not None else None
    rows = {
        r.device_id: r
        for r in s.scalars(select(DeviceRow).where(DeviceRow.site == config.site.code))
    }
    out = []
    for dev in config.devices:
        if wanted is not None and dev.id not in wanted:
            continue
        r = rows.get(dev.id)
        health = r.health if r else None
        out.append(
            DeviceView(
                id=dev.id,
                kind=dev.kind,
                name=dev.name or dev.id,
                desk=dev.desk,
                status=(r.status if r else "never_seen") if presence_known else "unknown",
                since=r.status_since if r else None,
                last_seen=r.last_seen if r else None,
                health=health,
                printer=(health or {}).get("printer"),
                outbox_depth=(health or {}).get("outbox_depth"),
            )
        )
    return out


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
                received_at=r.received_at,
            )
        )
    return out
