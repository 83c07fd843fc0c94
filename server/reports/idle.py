"""Clerk idle time while people waited: a desk open, not paused and free (no number in
hand) while a ticket of a service it serves was waiting (``qms-kpis.md``).

Works on half-open intervals ``[a, b)`` of epoch seconds; the result is a list of idle
segments with their desk and clerk, which the report buckets by local day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from server.reports.load import DeskEvent

Span = tuple[float, float]


class IdleSegment(NamedTuple):
    desk_id: str
    clerk_id: str | None
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


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


def near(spans: list[Span], starts: list[float], ends: list[float], span: Span) -> list[Span]:
    """The spans of ``spans`` (sorted, disjoint; ``starts``/``ends`` their bounds) that may
    overlap ``span``: a slice, so each desk session costs a search, not a scan."""
    return spans[bisect_right(ends, span[0]) : bisect_left(starts, span[1])]


def available(events: list[DeskEvent], until: float) -> dict[str, list[tuple[Span, str | None]]]:
    """Per desk: the spans it was open and not paused, with the clerk at it."""
    out: dict[str, list[tuple[Span, str | None]]] = defaultdict(list)
    since: dict[str, tuple[float, str | None]] = {}
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


class _Bounded:
    """Sorted disjoint spans with their bounds, for `near`."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self.starts = [x[0] for x in spans]
        self.ends = [x[1] for x in spans]

    def near(self, span: Span) -> list[Span]:
        return near(self.spans, self.starts, self.ends, span)


def idle_segments(
    events: list[DeskEvent],
    busy: list[tuple[str, float, float | None]],
    waiting: list[tuple[str, float, float | None]],
    desk_services: dict[str, set[str]],
    until: float,
    *,
    per_service: bool = False,
) -> tuple[list[IdleSegment], dict[str, list[IdleSegment]]]:
    """Idle segments of every desk in ``events``: while anyone it serves waited, and (with
    ``per_service``) while someone of each of its services waited.

    ``busy``: (desk, first call, end) of the numbers desks handled; ``waiting``:
    (service, issued, left the queue) of the tickets that could be called; open ends run
    to ``until`` (the end of the period, or now)."""
    busy_by_desk: dict[str, list[Span]] = defaultdict(list)
    for desk, a, b in busy:
        busy_by_desk[desk].append((a, b or until))
    waiting_by_service: dict[str, list[Span]] = defaultdict(list)
    for svc, a, b in waiting:
        waiting_by_service[svc].append((a, b or until))
    queues: dict[frozenset[str], _Bounded] = {}

    def queue(services: frozenset[str]) -> _Bounded:
        if services not in queues:
            queues[services] = _Bounded(
                union(x for svc in services for x in waiting_by_service.get(svc, ()))
            )
        return queues[services]

    total: list[IdleSegment] = []
    by_service: dict[str, list[IdleSegment]] = defaultdict(list)
    for desk, spans in available(events, until).items():
        services = frozenset(desk_services.get(desk, ()))
        desk_busy = _Bounded(union(busy_by_desk.get(desk, ())))
        for span, clerk in spans:
            free = subtract([span], desk_busy.near(span))
            for a, b in intersect(free, queue(services).near(span)):
                total.append(IdleSegment(desk, clerk, a, b))
            if per_service:
                for svc in services:
                    for a, b in intersect(free, queue(frozenset({svc})).near(span)):
                        by_service[svc].append(IdleSegment(desk, clerk, a, b))
    return total, dict(by_service)
