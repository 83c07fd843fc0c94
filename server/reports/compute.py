"""The figures of one slice of a report, from plain rows (pure: no database).

Formulas (``../shared/docs/qms-kpis.md``, ``rating-model.md``):

- waiting time = last call − issue; service time = end − start; of served visits;
- median = middle value (mean of the two middle ones); p90 = nearest rank;
- service level = served visits called within their service's target wait ÷ served;
- satisfaction % = (Rất hài lòng + Hài lòng) ÷ ratings; response rate = ratings ÷ served;
- issued = new numbers (a transfer keeps its number: its second ticket row is not
  issued again, but its outcome counts where it ended);
- carried over = visits not finished on their day (cancelled when the day closed, or
  still open).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from protocol.codes import TicketState
from protocol.conduct import CONDUCT_ITEMS, Level, RawLevel
from server.config import SiteConfig
from server.queue.eta import percentile
from server.reports.load import Rated, Visit
from server.reports.model import Figures, TimeStats

#: Waiting or in hand.
OPEN_STATES = frozenset({TicketState.ISSUED, TicketState.CALLED, TicketState.SERVING})


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def time_stats(values: Sequence[float]) -> TimeStats:
    if not values:
        return TimeStats()
    p90 = percentile(values, 90)
    return TimeStats(
        count=len(values),
        mean_s=round(sum(values) / len(values), 1),
        median_s=round(statistics.median(values), 1),
        p90_s=round(p90, 1) if p90 is not None else None,
    )


def satisfaction(rows: Iterable[Rated]) -> tuple[int, int]:
    """(satisfied, valid ratings)."""
    total = satisfied = 0
    for r in rows:
        total += 1
        satisfied += r.level != Level.DISSATISFIED
    return satisfied, total


def _add(into: dict[Any, int], other: dict[Any, int]) -> None:
    for k, n in other.items():
        into[k] = into.get(k, 0) + n


class Tally:
    """The additive part of the figures of a group of visits and ratings: one pass over
    the rows fills a tally per (day, desk, clerk, service); every breakdown row merges
    the tallies it covers."""

    __slots__ = (
        "arrivals",
        "issued",
        "levels",
        "partial",
        "praised",
        "raw",
        "reasons",
        "serve_times",
        "sources",
        "states",
        "wait_hours",
        "waits",
        "within",
    )

    def __init__(self) -> None:
        # Plain dicts, not Counters: a year merges tens of thousands of tallies.
        self.states: dict[str, int] = {}
        self.issued = 0
        self.waits: list[float] = []
        self.within = 0
        self.serve_times: list[float] = []
        self.levels: dict[str, int] = {}
        self.raw: dict[str, int] = {}
        self.sources: dict[str, int] = {}
        self.praised: dict[str, int] = {}
        self.reasons: dict[str, int] = {}
        self.partial = 0
        #: Heat map: new numbers per local hour of issue, and the waits of the served
        #: visits per hour of issue.
        self.arrivals: dict[int, int] = {}
        self.wait_hours: dict[int, list[float]] = {}

    def add_visit(self, v: Visit, target_s: float, hour: int = 0) -> None:
        states = self.states
        states[v.state] = states.get(v.state, 0) + 1
        if v.new_number:
            self.issued += 1
            self.arrivals[hour] = self.arrivals.get(hour, 0) + 1
        if v.state != TicketState.DONE:
            return
        if v.called is not None:
            wait = v.called - v.issued
            self.waits.append(wait)
            self.within += wait <= target_s
            self.wait_hours.setdefault(hour, []).append(wait)
        if v.started is not None and v.ended is not None:
            self.serve_times.append(v.ended - v.started)

    def add_rating(self, r: Rated) -> None:
        for counts, key in (
            (self.levels, r.level),
            (self.raw, r.level_raw),
            (self.sources, r.source),
        ):
            counts[key] = counts.get(key, 0) + 1
        for code in r.praised:
            self.praised[code] = self.praised.get(code, 0) + 1
        for code in r.reasons:
            self.reasons[code] = self.reasons.get(code, 0) + 1
        self.partial += r.partial

    _COUNTERS = ("states", "levels", "raw", "sources", "praised", "reasons")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {c: getattr(self, c) for c in self._COUNTERS}
        out.update(
            issued=self.issued,
            waits=self.waits,
            within=self.within,
            serve_times=self.serve_times,
            partial=self.partial,
            arrivals={str(h): n for h, n in self.arrivals.items()},
            wait_hours={str(h): w for h, w in self.wait_hours.items()},
        )
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tally:
        t = cls()
        for c in cls._COUNTERS:
            setattr(t, c, data[c])
        t.issued, t.within, t.partial = data["issued"], data["within"], data["partial"]
        t.waits, t.serve_times = data["waits"], data["serve_times"]
        t.arrivals = {int(h): n for h, n in data["arrivals"].items()}
        t.wait_hours = {int(h): w for h, w in data["wait_hours"].items()}
        return t

    def merge(self, other: Tally) -> None:
        if other.states:  # a tally of visits
            _add(self.states, other.states)
            _add(self.arrivals, other.arrivals)
            self.issued += other.issued
            self.waits += other.waits
            self.within += other.within
            self.serve_times += other.serve_times
            for h, w in other.wait_hours.items():
                self.wait_hours.setdefault(h, []).extend(w)
        if other.levels:  # a tally of ratings
            for c in ("levels", "raw", "sources", "praised", "reasons"):
                _add(getattr(self, c), getattr(other, c))
            self.partial += other.partial

    def figures(
        self, config: SiteConfig, *, idle_s: float = 0.0, target_pct: float | None = None
    ) -> Figures:
        states: Counter[str] = Counter(self.states)
        levels: Counter[str] = Counter(self.levels)
        raw: Counter[str] = Counter(self.raw)
        praised: Counter[str] = Counter(self.praised)
        reasons: Counter[str] = Counter(self.reasons)
        ratings = sum(levels.values())
        satisfied = levels[Level.VERY_SATISFIED] + levels[Level.SATISFIED]
        sat_pct = pct(satisfied, ratings)
        return Figures(
            issued=self.issued,
            served=states["done"],
            no_show=states["no_show"],
            transferred=states["transferred"],
            cancelled=states["cancelled"],
            carried_over=states["cancelled"] + sum(states[s] for s in OPEN_STATES),
            wait=time_stats(self.waits),
            service=time_stats(self.serve_times),
            service_level_pct=pct(self.within, len(self.waits)),
            idle_while_waiting_s=round(idle_s, 1),
            ratings=ratings,
            satisfied=satisfied,
            satisfaction_pct=sat_pct,
            response_rate_pct=pct(ratings, states["done"]),
            partial=self.partial,
            levels={lvl.value: levels[lvl.value] for lvl in Level},
            raw_levels={lvl.value: raw[lvl.value] for lvl in RawLevel if raw[lvl.value]},
            praised={i.code: praised[i.code] for i in CONDUCT_ITEMS if praised[i.code]},
            reasons={i.code: reasons[i.code] for i in CONDUCT_ITEMS if reasons[i.code]},
            by_source=dict(sorted(self.sources.items())),
            target_pct=target_pct,
            meets_target=None if sat_pct is None or target_pct is None else sat_pct >= target_pct,
            small_sample=ratings < config.rating.small_sample,
        )


def target_waits(config: SiteConfig) -> dict[str, float]:
    """Each service's target wait in seconds (service level)."""
    return {svc.code: svc.target_wait_minutes * 60.0 for svc in config.services}


def figures(
    config: SiteConfig,
    visits: Sequence[Visit],
    rated: Sequence[Rated],
    *,
    idle_s: float = 0.0,
    target_pct: float | None = None,
) -> Figures:
    """The figures of one slice of rows."""
    tally = Tally()
    targets = target_waits(config)
    for v in visits:
        tally.add_visit(v, targets.get(v.service, 15 * 60.0))
    for r in rated:
        tally.add_rating(r)
    return tally.figures(config, idle_s=idle_s, target_pct=target_pct)
