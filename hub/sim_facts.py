"""The facts an office would forward to its hub over one simulated day, in the order it
commits them (for ``motcua simulate offices`` and ``bench/hub.py``).

A day is planned by the reports issue's history model (`server.simulation.plan`:
arrivals by hour and weekday, clerks of different speed, lunch, breaks, no-shows,
transfers, ratings with conduct items and source). Its ticket events, ratings and desk
events are merged into one timeline; each gets the id the office's database would give
it (per stream, in commit order) and the snapshot of its ticket or desk *as it stands
at that moment*, exactly the `HubFact` the office's forwarder would send
(`server.uplink.facts` builds the same from the office's rows).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from protocol.conduct import RawLevel
from protocol.hub import (
    DeskEventFact,
    DeskSnap,
    HubFact,
    RatingFact,
    TicketEventFact,
    TicketSnap,
)
from server.simulation.model import DayPlan, DeskEvent, Leg, PlannedRating, TicketEvent

#: Order of kinds at the same instant: a ticket's event before the rating that follows it.
_ORDER = {"desk": 0, "event": 1, "rating": 2}
_ENDS = {"no_show", "done", "transferred", "cancelled"}


@dataclass(frozen=True, slots=True)
class TimedFact:
    at: datetime
    fact: HubFact


@dataclass
class _Ticket:
    """A ticket row as the office has it, updated event by event."""

    leg: Leg
    id: uuid.UUID
    parent: uuid.UUID | None
    state: str = "issued"
    first_called_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    desk_id: str | None = None
    clerk_id: str | None = None
    recall_count: int = 0
    dossier_code: str | None = None
    version: int = 0

    def apply(self, e: TicketEvent, event_id: int) -> None:
        kind, at = e.kind, e.at
        self.version = event_id
        if kind == "issued":
            self.state = "issued"
        elif kind == "called":
            self.state, self.called_at, self.ended_at = "called", at, None
            self.first_called_at = self.first_called_at or at
            self.desk_id, self.clerk_id = e.desk_id, e.clerk_id
        elif kind == "recalled":
            self.recall_count += 1
            self.called_at = at
        elif kind == "started":
            self.state = "serving"
            self.started_at = self.called_at if (e.data or {}).get("implicit") else at
        elif kind in _ENDS:
            self.state, self.ended_at = kind, at
            if kind == "done" and e.data:
                self.dossier_code = e.data.get("dossier_code")

    def snap(self, day: date) -> TicketSnap:
        leg = self.leg
        return TicketSnap(
            id=self.id,
            service=leg.service,
            day=day,
            seq=leg.seq,
            number=leg.number,
            priority=leg.priority,
            state=self.state,
            issued_at=leg.issued_at,
            first_called_at=self.first_called_at,
            called_at=self.called_at,
            started_at=self.started_at,
            ended_at=self.ended_at,
            desk_id=self.desk_id,
            clerk_id=self.clerk_id,
            recall_count=self.recall_count,
            kiosk_id=leg.kiosk_id,
            offline=False,
            transferred_from=self.parent,
            dossier_code=self.dossier_code,
            version=self.version,
        )


@dataclass
class _Desk:
    open: bool = False
    paused: bool = False
    reason: str | None = None
    clerk_id: str | None = None


@dataclass
class IdCounters:
    """The office's next row id per stream (its database's autoincrement)."""

    ticket_events: int = 0
    desk_events: int = 0
    ratings: int = 0


def _ticket_ids(plan: DayPlan, seed: str) -> list[uuid.UUID]:
    rng = random.Random(seed)
    return [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in plan.legs]


def _timeline(plan: DayPlan) -> list[tuple[datetime, int, int, str, Any]]:
    items: list[tuple[datetime, int, int, str, Any]] = []
    n = 0
    for leg in plan.legs:
        for e in leg.events:
            n += 1
            items.append((e.at, _ORDER["event"], n, "event", (leg.key, e)))
    for r in plan.ratings:
        n += 1
        items.append((r.received_at, _ORDER["rating"], n, "rating", r))
    for d in plan.desk_events:
        n += 1
        items.append((d.at, _ORDER["desk"], n, "desk", d))
    items.sort(key=lambda i: (i[0], i[1], i[2]))
    return items


def day_facts(plan: DayPlan, ids: IdCounters | None = None) -> Iterator[TimedFact]:
    """Every fact of ``plan`` in commit order, with the office's ids and snapshots."""
    ids = ids or IdCounters()
    site, day = plan.site, plan.day
    tids = _ticket_ids(plan, f"{site}/{day}/tickets")
    tickets = {
        leg.key: _Ticket(
            leg,
            tids[leg.key],
            tids[leg.transferred_from] if leg.transferred_from is not None else None,
        )
        for leg in plan.legs
    }
    desks: dict[str, _Desk] = {}
    for at, _o, _n, kind, item in _timeline(plan):
        if kind == "event":
            key, e = item
            ids.ticket_events += 1
            yield TimedFact(at, _event_fact(site, day, tickets[key], e, ids.ticket_events))
        elif kind == "rating":
            ids.ratings += 1
            yield TimedFact(at, _rating_fact(site, day, tickets[item.leg], item, ids.ratings))
        else:
            ids.desk_events += 1
            yield TimedFact(at, _desk_fact(site, desks, item, ids.desk_events))


def _event_fact(site: str, day: date, t: _Ticket, e: TicketEvent, event_id: int) -> HubFact:
    data = e.data
    if t.parent is not None and e.kind == "issued":  # as `QueueEngine.transfer` says
        data = {"transferred_from": str(t.parent), **(data or {})}
    t.apply(e, event_id)
    event = TicketEventFact(
        id=event_id,
        ticket_id=t.id,
        kind=e.kind,
        at=e.at,
        desk_id=e.desk_id,
        clerk_id=e.clerk_id,
        data=data,
    )
    return HubFact(site=site, stream="ticket_events", id=event_id, ticket=t.snap(day), event=event)


def _rating_fact(site: str, day: date, t: _Ticket, r: PlannedRating, rating_id: int) -> HubFact:
    leg = t.leg
    assert leg.desk_id is not None
    rating = RatingFact(
        id=rating_id,
        msg_id=r.msg_id,
        ticket_id=t.id,
        day=day,
        desk_id=leg.desk_id,
        clerk_id=leg.clerk_id,
        service=leg.service,
        level_raw=r.level_raw,
        level=RawLevel(r.level_raw).official.value,
        praised=list(r.praised),
        reasons=list(r.reasons),
        partial=r.partial,
        source=r.source,
        device_id=r.device_id,
        sent_at=r.sent_at,
        received_at=r.received_at,
        comment=r.comment,
    )
    return HubFact(site=site, stream="ratings", id=rating_id, ticket=t.snap(day), rating=rating)


def _desk_fact(site: str, desks: dict[str, _Desk], d: DeskEvent, desk_event_id: int) -> HubFact:
    desk = desks.setdefault(d.desk_id, _Desk())
    if d.kind in ("open", "resume"):
        desk.open, desk.paused, desk.reason = True, False, None
    elif d.kind == "pause":
        desk.paused, desk.reason = True, d.reason
    elif d.kind == "close":
        desk.open, desk.paused, desk.reason = False, False, None
    desk.clerk_id = d.clerk_id if desk.open else None
    snap = DeskSnap(
        desk_id=d.desk_id,
        open=desk.open,
        paused=desk.paused,
        pause_reason=desk.reason,
        clerk_id=desk.clerk_id,
        ticket_id=None,
        rating_ticket_id=None,
        updated_at=d.at,
    )
    event = DeskEventFact(
        id=desk_event_id,
        desk_id=d.desk_id,
        kind=d.kind,
        at=d.at,
        clerk_id=d.clerk_id,
        reason=d.reason,
    )
    return HubFact(site=site, stream="desk_events", id=desk_event_id, desk=snap, desk_event=event)
