"""The suggestion box (``/gop-y``) as supervisors and reports read it: each suggestion
as shown (`SuggestionView`), the open or handled ones, and the counts of a period.

A suggestion counts in the period of the local day it was received; "handled" and
"open" say what became of those suggestions by now (a suggestion received on the 30th
and handled on the 2nd counts as handled in the month it was received).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from protocol.i18n import localized
from server.config import SiteConfig
from server.db.tables import SuggestionRow

#: Which suggestions a list shows.
State = Literal["open", "handled", "all"]


class SuggestionView(BaseModel):
    id: uuid.UUID
    #: Local day it was received.
    day: date
    received_at: datetime
    text: str
    #: The service code it names, or None; its names in both languages.
    service: str | None
    service_name: str | None
    service_name_en: str | None
    #: Only when the citizen chose to give one.
    contact: str | None
    handled_at: datetime | None
    handled_by: str | None
    handled_note: str | None


def suggestion_view(config: SiteConfig, row: SuggestionRow) -> SuggestionView:
    svc = config.service_by_code.get(row.service) if row.service else None
    return SuggestionView(
        id=row.id,
        day=row.day,
        received_at=row.received_at,
        text=row.text,
        service=row.service,
        service_name=svc.name if svc else row.service,
        service_name_en=localized(svc.name, svc.name_en, "en") if svc else row.service,
        contact=row.contact,
        handled_at=row.handled_at,
        handled_by=row.handled_by,
        handled_note=row.handled_note,
    )


def suggestion_views(
    s: Session, config: SiteConfig, state: State = "open", limit: int = 100
) -> list[SuggestionView]:
    """The site's suggestions in ``state``: open ones oldest first (the order to answer
    them in), handled ones and "all" newest first; at most ``limit``."""
    q = select(SuggestionRow).where(SuggestionRow.site == config.site.code)
    if state == "open":
        q = q.where(SuggestionRow.handled_at.is_(None)).order_by(
            SuggestionRow.received_at, SuggestionRow.id
        )
    else:
        if state == "handled":
            q = q.where(SuggestionRow.handled_at.is_not(None))
        q = q.order_by(SuggestionRow.received_at.desc(), SuggestionRow.id.desc())
    return [suggestion_view(config, row) for row in s.scalars(q.limit(limit))]


def open_count(s: Session, site: str) -> int:
    """How many suggestions of ``site`` wait for a supervisor."""
    q = select(func.count()).where(SuggestionRow.site == site, SuggestionRow.handled_at.is_(None))
    return int(s.scalar(q) or 0)


def suggestion_counts(
    s: Session, site: str, first_day: date, last_day: date, service: str | None = None
) -> dict[str, int]:
    """Of the suggestions received from ``first_day`` to ``last_day`` (local days,
    inclusive), naming ``service`` if given: ``received``, ``handled`` (by now) and
    ``open`` (received − handled)."""
    handled = func.count(SuggestionRow.handled_at)
    q = select(func.count(), handled).where(
        SuggestionRow.site == site,
        SuggestionRow.day >= first_day,
        SuggestionRow.day <= last_day,
    )
    if service is not None:
        q = q.where(SuggestionRow.service == service)
    received, done = s.execute(q).one()
    return {"received": int(received), "handled": int(done), "open": int(received) - int(done)}
