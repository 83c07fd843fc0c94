"""What a citizen's phone shows of one ticket (``/t/{id}``): its state, the desk it is
called to, people ahead and the estimated wait, and whether it can still be rated.

`ticket_views` computes many tickets at once, as the phones' live hub needs after each
change (hundreds of phones follow their numbers): one query for the rows and their
transfer chains, one waiting list per service involved, the ETA figures once per
service, one query for the ratings. People ahead follow the calling order exactly
(`server.queue.policy.call_order` over the service's waiting tickets), so the count is
what the desks will do, never other citizens' numbers.

A transfer ends a row and creates a new one (``transferred_from``) in the other
service: the view follows the chain to its last row, where the visit is now (and where
it is rated). A well-formed id the server does not know yet is ``pending``: a kiosk
issued it offline and its outbox has not delivered it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast

from pydantic import BaseModel
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from protocol.codes import TicketState
from server.config import SiteConfig
from server.db.tables import RatingRow, TicketRow
from server.queue import eta, policy
from server.queue.context import QueueContext
from server.queue.estimates import median_service_minutes
from server.queue.queries import normals_since_priority, open_desks, utc
from server.voice.words import call_text

State = Literal[
    "pending", "waiting", "called", "serving", "done", "no_show", "transferred", "cancelled"
]
RatingStatus = Literal["not_yet", "open", "rated", "expired", "none"]

_STATES: dict[str, State] = {
    TicketState.ISSUED: "waiting",
    TicketState.CALLED: "called",
    TicketState.SERVING: "serving",
    TicketState.DONE: "done",
    TicketState.NO_SHOW: "no_show",
    TicketState.TRANSFERRED: "transferred",
    TicketState.CANCELLED: "cancelled",
}
_T = cast(Table, TicketRow.__table__).c
_R = cast(Table, RatingRow.__table__).c
_COLUMNS = (
    _T.id,
    _T.site,
    _T.service,
    _T.day,
    _T.number,
    _T.priority,
    _T.state,
    _T.issued_at,
    _T.called_at,
    _T.ended_at,
    _T.desk_id,
    _T.recall_count,
    _T.transferred_from,
)
_CHUNK = 500


class RatingInfo(BaseModel):
    """``not_yet``: the visit is not over; ``open``: it may be rated until ``until``;
    ``rated`` (by ``source``: pad, kiosk or phone); ``expired``: the window passed;
    ``none``: nothing to rate (no-show, cancelled)."""

    status: RatingStatus
    until: datetime | None = None
    source: str | None = None


class TicketView(BaseModel):
    """One ticket as the citizen's phone shows it. Nothing about other citizens."""

    #: The id asked for (the QR code's), even when the visit moved to another row.
    ticket_id: uuid.UUID
    #: The row where the visit is now (the last of a transfer chain); rated there.
    current_id: uuid.UUID | None = None
    number: str | None = None
    service: str | None = None
    service_name: str | None = None
    service_name_en: str | None = None
    priority: bool = False
    state: State
    desk_id: str | None = None
    desk_number: int | None = None
    desk_name: str | None = None
    people_ahead: int | None = None
    eta_minutes: int | None = None
    issued_at: datetime | None = None
    called_at: datetime | None = None
    recall_count: int = 0
    #: What the board says aloud when it is called (Vietnamese), else None.
    call_text: str | None = None
    #: The service the visit came from, when it was transferred.
    transferred_from_service: str | None = None
    transferred_from_name: str | None = None
    transferred_from_name_en: str | None = None
    rating: RatingInfo
    updated_at: datetime

    def same_as(self, other: TicketView | None) -> bool:
        """Equal but for ``updated_at`` (what a phone needs to be sent again)."""
        if other is None:
            return False
        return self.model_dump(exclude={"updated_at"}) == other.model_dump(exclude={"updated_at"})


def transfer_chains(s: Session, site: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """Per id asked for, its row and the rows it was transferred to, in order. One
    recursive query per chunk: a transfer keeps the day and the number (indexed)."""
    out: dict[uuid.UUID, list[Any]] = {}
    for k in range(0, len(ids), _CHUNK):
        chunk = ids[k : k + _CHUNK]
        base = select(*_COLUMNS, _T.id.label("root")).where(_T.id.in_(chunk), _T.site == site)
        chain = base.cte("chain", recursive=True)
        t = cast(Table, TicketRow.__table__).alias("nxt")
        step = select(*(t.c[c.name] for c in _COLUMNS), chain.c.root).where(
            t.c.site == site,
            t.c.day == chain.c.day,
            t.c.number == chain.c.number,
            t.c.transferred_from == chain.c.id,
        )
        chain = chain.union_all(step)
        rows = s.execute(select(chain)).all()
        by_root: dict[uuid.UUID, dict[uuid.UUID | None, Any]] = defaultdict(dict)
        for r in rows:
            # key: the row it came from (None for the root itself)
            by_root[r.root][None if r.id == r.root else r.transferred_from] = r
        for root, links in by_root.items():
            seq = [links[None]]
            while seq[-1].id in links and len(seq) < 50:
                seq.append(links[seq[-1].id])
            out[root] = seq
    return out


def _positions(s: Session, ctx: QueueContext, keys: set[tuple[str, date]]) -> dict[uuid.UUID, int]:
    """People ahead of every waiting ticket of the given (service, day) queues: its
    index in the calling order of that queue."""
    out: dict[uuid.UUID, int] = {}
    calling = ctx.config.calling
    for service, day in sorted(keys):
        rows = s.execute(
            select(_T.id, _T.priority)
            .where(
                _T.site == ctx.site,
                _T.state == TicketState.ISSUED,
                _T.service == service,
                _T.day == day,
            )
            .order_by(_T.issued_at, _T.number)
        ).all()
        normal = [_Waiting(r.id, False) for r in rows if r.priority is None]
        prio = [_Waiting(r.id, True) for r in rows if r.priority is not None]
        since = normals_since_priority(ctx, s, [service], day)
        order = policy.call_order(normal, prio, calling.policy, calling.every_n, since)
        out.update({w.id: i for i, w in enumerate(order)})
    return out


class _Waiting:
    __slots__ = ("id", "is_priority")

    def __init__(self, id: uuid.UUID, is_priority: bool) -> None:
        self.id = id
        self.is_priority = is_priority


def _rating(config: SiteConfig, row: Any, rated: dict[uuid.UUID, str], now: datetime) -> RatingInfo:
    state = row.state
    if state in (TicketState.NO_SHOW, TicketState.CANCELLED, TicketState.TRANSFERRED):
        return RatingInfo(status="none")
    if state != TicketState.DONE or row.ended_at is None:
        return RatingInfo(status="not_yet")
    if row.id in rated:
        return RatingInfo(status="rated", source=rated[row.id])
    until = utc(row.ended_at) + timedelta(minutes=config.rating.window_minutes)
    return RatingInfo(status="open" if now <= until else "expired", until=until)


def ticket_views(
    s: Session, config: SiteConfig, ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, TicketView]:
    """The phone's view of each of ``ids`` at ``now`` (``pending`` for an unknown id)."""
    ctx = QueueContext(config, clock=lambda: now)
    chains = transfer_chains(s, ctx.site, list(dict.fromkeys(ids)))
    last = {root: seq[-1] for root, seq in chains.items()}
    waiting = {(r.service, r.day) for r in last.values() if r.state == TicketState.ISSUED}
    ahead = _positions(s, ctx, waiting)
    medians: dict[str, tuple[int, float]] = {}
    for service in sorted({svc for svc, _ in waiting}):
        desks = open_desks(ctx, s, service) or len(config.desks_serving(service))
        medians[service] = (desks, median_service_minutes(ctx, s, service))
    done = [r.id for r in last.values() if r.state == TicketState.DONE]
    rated: dict[uuid.UUID, str] = {}
    for k in range(0, len(done), _CHUNK):
        query = select(_R.ticket_id, _R.source).where(_R.ticket_id.in_(done[k : k + _CHUNK]))
        rated.update({tid: src for tid, src in s.execute(query)})
    out: dict[uuid.UUID, TicketView] = {}
    for tid in ids:
        seq = chains.get(tid)
        if seq is None:
            out[tid] = TicketView(
                ticket_id=tid, state="pending", rating=RatingInfo(status="not_yet"), updated_at=now
            )
            continue
        out[tid] = _view(config, tid, seq, ahead, medians, rated, now)
    return out


def _view(
    config: SiteConfig,
    tid: uuid.UUID,
    seq: list[Any],
    ahead: dict[uuid.UUID, int],
    medians: dict[str, tuple[int, float]],
    rated: dict[uuid.UUID, str],
    now: datetime,
) -> TicketView:
    row = seq[-1]
    svc = config.service_by_code.get(row.service)
    prev = config.service_by_code.get(seq[-2].service) if len(seq) > 1 else None
    state = _STATES[row.state]
    desk = config.desk_by_id.get(row.desk_id) if row.desk_id else None
    position = ahead.get(row.id) if state == "waiting" else None
    wait = None
    if position is not None:
        desks, median = medians[row.service]
        wait = eta.eta_minutes(position, desks, median)
    spoken = None
    if state == "called" and desk is not None:
        try:
            spoken = call_text(row.number, desk.number)
        except ValueError:  # a number or desk the voice cannot read: no text
            spoken = None
    show_desk = state in ("called", "serving", "done")
    return TicketView(
        ticket_id=tid,
        current_id=row.id,
        number=row.number,
        service=row.service,
        service_name=svc.name if svc else row.service,
        service_name_en=(svc.name_en or None) if svc else None,
        priority=row.priority is not None,
        state=state,
        desk_id=row.desk_id if show_desk else None,
        desk_number=desk.number if desk and show_desk else None,
        desk_name=desk.name if desk and show_desk else None,
        people_ahead=position,
        eta_minutes=wait,
        issued_at=utc(row.issued_at),
        called_at=utc(row.called_at) if row.called_at and show_desk else None,
        recall_count=row.recall_count or 0,
        call_text=spoken,
        transferred_from_service=seq[-2].service if len(seq) > 1 else None,
        transferred_from_name=prev.name if prev else None,
        transferred_from_name_en=(prev.name_en or None) if prev else None,
        rating=_rating(config, row, rated, now),
        updated_at=now,
    )


def ticket_view(s: Session, config: SiteConfig, ticket_id: uuid.UUID, now: datetime) -> TicketView:
    """One ticket's view (the page's first paint, the polling fallback)."""
    return ticket_views(s, config, [ticket_id], now)[ticket_id]
