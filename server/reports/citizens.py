"""Ý kiến của công dân: what citizens wrote, for the reports — the comments given with
the period's ratings (the phone's form) and the notes of the suggestion box received in
the period, with how many of those are handled.

Comments follow every report filter (service, desk, clerk, source are the rating's).
Suggestions name at most a service, so only the service filter narrows them; under a
desk, clerk or source filter they are left out (see `server.reports.model.Citizens`).
Lists are bounded (`MAX_ITEMS`, oldest first) and say how many more there are.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from server.db.tables import RatingRow, SuggestionRow, TicketRow
from server.reports.load import narrow
from server.reports.model import Citizens, Comment, Filters, Suggestion, SuggestionCounts

#: Items listed per kind in a report (the page, the xlsx, the PDF, the CSV).
MAX_ITEMS = 500

_R = RatingRow.__table__.c
_T = TicketRow.__table__.c
_S = SuggestionRow.__table__.c
#: The columns the report's filters narrow comments by.
_COLS = (_R.service, _R.desk_id, _R.clerk_id, _R.source)


def suggestions_apply(f: Filters) -> bool:
    """Suggestions are counted and listed only without a desk, clerk or source filter."""
    return not (f.desk or f.clerk or f.source)


def comments(
    s: Session, site: str, start: date, end: date, f: Filters, limit: int = MAX_ITEMS
) -> tuple[list[Comment], int]:
    """The first ``limit`` comments of the ratings of the days, and how many there are."""
    where = (
        _R.site == site,
        _R.day >= start,
        _R.day <= end,
        _R.comment.is_not(None),
        _R.comment != "",
    )
    count = narrow(select(func.count()).select_from(RatingRow.__table__).where(*where), f, *_COLS)
    total = int(s.execute(count).scalar_one())
    if not total:
        return [], 0
    q = (
        select(
            _R.sent_at,
            _T.number,
            _R.service,
            _R.desk_id,
            _R.clerk_id,
            _R.level,
            _R.level_raw,
            _R.source,
            _R.comment,
        )
        .join_from(RatingRow.__table__, TicketRow.__table__, _R.ticket_id == _T.id)
        .where(*where)
        .order_by(_R.sent_at, _R.id)
        .limit(limit)
    )
    items = [
        Comment(
            at=at,
            number=number,
            service=service,
            desk_id=desk,
            clerk_id=clerk,
            level=level,
            level_raw=raw,
            source=source,
            text=text,
        )
        for at, number, service, desk, clerk, level, raw, source, text in s.execute(
            narrow(q, f, *_COLS)
        )
    ]
    return items, total


def suggestion_counts(
    s: Session, site: str, start: date, end: date, service: str | None, now: datetime
) -> SuggestionCounts:
    """Received in the days (local), and of those handled by ``now``, still open."""
    q = select(
        func.count(),
        func.coalesce(func.sum(case((_S.handled_at <= now, 1), else_=0)), 0),
    ).where(_S.site == site, _S.day >= start, _S.day <= end)
    if service:
        q = q.where(_S.service == service)
    received, handled = s.execute(q).one()
    return SuggestionCounts(
        received=int(received), handled=int(handled), open=int(received) - int(handled)
    )


def suggestions(
    s: Session,
    site: str,
    start: date,
    end: date,
    service: str | None,
    now: datetime,
    limit: int = MAX_ITEMS,
) -> list[Suggestion]:
    """The first ``limit`` suggestions received in the days (handled: by ``now``)."""
    q = (
        select(
            _S.received_at,
            _S.service,
            _S.text,
            _S.contact,
            _S.handled_at,
            _S.handled_note,
        )
        .where(_S.site == site, _S.day >= start, _S.day <= end)
        .order_by(_S.received_at, _S.id)
        .limit(limit)
    )
    if service:
        q = q.where(_S.service == service)
    out = []
    for received_at, svc, text, contact, handled_at, note in s.execute(q):
        handled = handled_at is not None and handled_at <= now
        out.append(
            Suggestion(
                received_at=received_at,
                service=svc,
                text=text,
                contact=contact or None,
                handled_at=handled_at if handled else None,
                handled_note=note if handled else None,
            )
        )
    return out


def citizens_of(
    s: Session, site: str, start: date, end: date, f: Filters, now: datetime
) -> Citizens:
    """The comments and suggestions of the local days ``start`` … ``end``."""
    items, total = comments(s, site, start, end, f)
    if not suggestions_apply(f):
        return Citizens(comments=items, comments_total=total)
    return Citizens(
        comments=items,
        comments_total=total,
        suggestions=suggestion_counts(s, site, start, end, f.service, now),
        suggestion_items=suggestions(s, site, start, end, f.service, now),
    )
