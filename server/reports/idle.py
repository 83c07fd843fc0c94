"""Clerk idle time while people waited: a desk open, not paused and free (no number in
hand) while a ticket of a service it serves was waiting (``qms-kpis.md``).

Works on half-open UTC intervals ``[a, b)``; the result is a list of idle segments with
their desk and clerk, which the report buckets by local day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from server.reports.load import DeskEvent

Span = tuple[datetime, datetime]


class IdleSegment(NamedTuple):
    desk_id: str
    clerk_id: str | None
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def union(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def subtract(base: list[Span], cut: list[Span]) -> list[Span]:
    """``base`` minus ``cut`` (both sorted and disjoint)."""
    out: list[Span] = []
    j = 0
    for a, b in base:
        while j < len(cut) and cut[j][1] <= a:
            j += 1
        k, cur = j, a
        while k < len(cut) and cut[k][0] < b:
            if cut[k][0] > cur:
                out.append((cur, cut[k][0]))
            cur = max(cur, cut[k][1])
            k += 1
        if cur < b:
            out.append((cur, b))
    return out


def intersect(x: list[Span], y: list[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a < b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def available(events: list[DeskEvent], until: datetime) -> dict[str, list[tuple[Span, str | None]]]:
    """Per desk: the spans it was open and not paused, with the clerk at it."""
    out: dict[str, list[tuple[Span, str | None]]] = defaultdict(list)
    since: dict[str, tuple[datetime, str | None]] = {}
    is_open: dict[str, bool] = {}
    for e in events:
        if e.kind == "open":
            is_open[e.desk_id] = True
            since.setdefault(e.desk_id, (e.at, e.clerk_id))
        elif e.kind == "resume" and is_open.get(e.desk_id):
            since.setdefault(e.desk_id, (e.at, e.clerk_id))
        elif e.kind in ("pause", "close"):
            if e.desk_id in since:
                at, clerk = since.pop(e.desk_id)
                out[e.desk_id].append(((at, e.at), clerk))
            if e.kind == "close":
                is_open[e.desk_id] = False
    for desk, (at, clerk) in since.items():
        if at < until:
            out[desk].append(((at, until), clerk))
    return out


def idle_segments(
    events: list[DeskEvent],
    busy: list[tuple[str, datetime, datetime | None]],
    waiting: list[tuple[str, datetime, datetime | None]],
    desk_services: dict[str, set[str]],
    until: datetime,
) -> list[IdleSegment]:
    """Idle segments of every desk in ``events``.

    ``busy``: (desk, first call, end) of the numbers desks handled; ``waiting``:
    (service, issued, left the queue) of the tickets that could be called; open ends run
    to ``until`` (the end of the period, or now)."""
    busy_by_desk: dict[str, list[Span]] = defaultdict(list)
    for desk, a, b in busy:
        busy_by_desk[desk].append((a, b or until))
    waiting_by_service: dict[str, list[Span]] = defaultdict(list)
    for svc, a, b in waiting:
        waiting_by_service[svc].append((a, b or until))
    queue_union: dict[frozenset[str], list[Span]] = {}
    out: list[IdleSegment] = []
    for desk, spans in available(events, until).items():
        services = frozenset(desk_services.get(desk, ()))
        if services not in queue_union:
            queue_union[services] = union(
                s for svc in services for s in waiting_by_service.get(svc, ())
            )
        people_waiting = queue_union[services]
        free_busy = union(busy_by_desk.get(desk, ()))
        for span, clerk in spans:
            free = subtract([span], free_busy)
            for a, b in intersect(free, people_waiting):
                out.append(IdleSegment(desk, clerk, a, b))
    return out
