"""``GET /api/sites/{site}/rejected``: the device messages the server refused lately, with
the reason (`RejectedMessageRow`, written by the MQTT ingest) — for a supervisor looking
for a misconfigured or misbehaving device."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from server.db.tables import RejectedMessageRow
from server.http.deps import Config, Db, Supervisor, check_site

router = APIRouter(prefix="/api")


@router.get("/sites/{site}/rejected")
def rejected(
    site: str,
    config: Config,
    db: Db,
    user: Supervisor,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """The most recent messages the server refused, newest first, with the reason."""
    check_site(config, site)
    with db.read() as s:
        rows = s.scalars(
            select(RejectedMessageRow)
            .where(RejectedMessageRow.site == site)
            .order_by(RejectedMessageRow.id.desc())
            .limit(limit)
        )
        return [
            {
                "at": r.received_at.isoformat(),
                "topic": r.topic,
                "reason": r.reason,
                "detail": r.detail,
                "excerpt": r.excerpt,
                "device_id": r.device_id,
                "msg_id": r.msg_id,
            }
            for r in rows
        ]
