"""Reading what a report needs, as plain rows (Core selects: no ORM objects, a quarter of
a busy office is tens of thousands of rows).

Visits are the ticket rows of the period's local days (``tickets.day``); ratings are
those of visits of those days (``ratings.day`` is the visit's day). A rating carries its
visit's times, for the suspicious-pattern checks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from server.db.tables import DeskEventRow, LetterRow, RatingRow, TicketRow
from server.reports.model import Filters

_T = TicketRow.__table__.c
_R = RatingRow.__table__.c
_D = DeskEventRow.__table__.c
_L = LetterRow.__table__.c


class Visit(NamedTuple):
    day: date
    service: str
    state: str
    issued_at: datetime
    first_called_at: datetime | None
    called_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    desk_id: str | None
    clerk_id: str | None
    #: Set on the ticket row a transfer created (the visit goes on in another service).
    transferred_from: object | None


class Rated(NamedTuple):
    day: date
    service: str
    desk_id: str
    clerk_id: str | None
    level: str
    level_raw: str
    praised: list[str]
    reasons: list[str]
    partial: bool
    source: str
    sent_at: datetime
    #: The visit's start and end of service.
    started_at: datetime | None
    ended_at: datetime | None


class DeskEvent(NamedTuple):
    desk_id: str
    kind: str
    at: datetime
    clerk_id: str | None


def _visit_filters(q: Select, site: str, start: date, end: date, f: Filters) -> Select:
    q = q.where(_T.site == site, _T.day >= start, _T.day <= end)
    if f.service:
        q = q.where(_T.service == f.service)
    if f.desk:
        q = q.where(_T.desk_id == f.desk)
    if f.clerk:
        q = q.where(_T.clerk_id == f.clerk)
    return q


def visits(s: Session, site: str, start: date, end: date, f: Filters) -> list[Visit]:
    q = select(
        _T.day,
        _T.service,
        _T.state,
        _T.issued_at,
        _T.first_called_at,
        _T.called_at,
        _T.started_at,
        _T.ended_at,
        _T.desk_id,
        _T.clerk_id,
        _T.transferred_from,
    )
    return [Visit(*r) for r in s.execute(_visit_filters(q, site, start, end, f))]


def waiting_spans(
    s: Session, site: str, start: date, end: date, services: set[str] | None
) -> list[tuple[str, date, datetime, datetime | None]]:
    """(service, day, issued, left the queue) of every ticket of the days: the queue a
    free desk could have served from (idle time). Not narrowed by desk or clerk."""
    q = select(_T.service, _T.day, _T.issued_at, _T.first_called_at, _T.ended_at).where(
        _T.site == site, _T.day >= start, _T.day <= end
    )
    if services is not None:
        q = q.where(_T.service.in_(sorted(services)))
    return [(svc, day, issued, called or ended) for svc, day, issued, called, ended in s.execute(q)]


def ratings(s: Session, site: str, start: date, end: date, f: Filters) -> list[Rated]:
    q = (
        select(
            _R.day,
            _R.service,
            _R.desk_id,
            _R.clerk_id,
            _R.level,
            _R.level_raw,
            _R.praised,
            _R.reasons,
            _R.partial,
            _R.source,
            _R.sent_at,
            _T.started_at,
            _T.ended_at,
        )
        .join_from(RatingRow.__table__, TicketRow.__table__, _R.ticket_id == _T.id)
        .where(_R.site == site, _R.day >= start, _R.day <= end)
    )
    if f.service:
        q = q.where(_R.service == f.service)
    if f.desk:
        q = q.where(_R.desk_id == f.desk)
    if f.clerk:
        q = q.where(_R.clerk_id == f.clerk)
    if f.source:
        q = q.where(_R.source == f.source)
    return [Rated(*r) for r in s.execute(q)]


def desk_events(
    s: Session, site: str, since: datetime, until: datetime, desk: str | None
) -> list[DeskEvent]:
    """Desk sessions (open, close, pause, resume) between two instants, oldest first."""
    q = (
        select(_D.desk_id, _D.kind, _D.at, _D.clerk_id)
        .where(_D.site == site, _D.at >= since, _D.at < until)
        .order_by(_D.at, _D.id)
    )
    if desk:
        q = q.where(_D.desk_id == desk)
    return [DeskEvent(*r) for r in s.execute(q)]


def letters(s: Session, site: str, start: date, end: date, f: Filters) -> dict[str, int]:
    q = (
        select(_L.kind, func.count())
        .where(_L.site == site, _L.day >= start, _L.day <= end)
        .group_by(_L.kind)
    )
    if f.service:
        q = q.where(_L.service == f.service)
    if f.desk:
        q = q.where(_L.desk_id == f.desk)
    if f.clerk:
        q = q.where(_L.clerk_id == f.clerk)
    return {kind: int(n) for kind, n in s.execute(q)}


def busy_spans(
    s: Session, site: str, start: date, end: date
) -> list[tuple[str, datetime, datetime | None]]:
    """(desk, first call, end) of every ticket a desk handled on the days: the desk is
    busy from calling a number until it finishes with it."""
    q = select(_T.desk_id, _T.first_called_at, _T.ended_at).where(
        _T.site == site,
        _T.day >= start,
        _T.day <= end,
        _T.desk_id.is_not(None),
        _T.first_called_at.is_not(None),
    )
    return [(d, a, b) for d, a, b in s.execute(q)]


def desk_state_at(s: Session, site: str, at: datetime, desk: str) -> list[DeskEvent]:
    """A desk's state at ``at`` as events at that instant: ``open`` (with its clerk) and
    ``pause`` if it was open (and paused) then — a desk may stay open for days."""
    last_session = s.execute(
        select(_D.kind, _D.clerk_id)
        .where(_D.site == site, _D.desk_id == desk, _D.at < at, _D.kind.in_(("open", "close")))
        .order_by(_D.at.desc(), _D.id.desc())
        .limit(1)
    ).first()
    if last_session is None or last_session.kind != "open":
        return []
    out = [DeskEvent(desk, "open", at, last_session.clerk_id)]
    last_pause = s.execute(
        select(_D.kind)
        .where(
            _D.site == site,
            _D.desk_id == desk,
            _D.at < at,
            _D.kind.in_(("open", "pause", "resume")),
        )
        .order_by(_D.at.desc(), _D.id.desc())
        .limit(1)
    ).first()
    if last_pause is not None and last_pause.kind == "pause":
        out.append(DeskEvent(desk, "pause", at, last_session.clerk_id))
    return out
