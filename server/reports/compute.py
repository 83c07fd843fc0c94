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

from protocol.conduct import CONDUCT_ITEMS, Level, RawLevel
from server.config import SiteConfig
from server.queue.eta import percentile
from server.reports.load import Rated, Visit
from server.reports.model import Figures, TimeStats

OPEN_STATES = frozenset({"issued", "called", "serving"})  # waiting or in hand


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


def figures(
    config: SiteConfig,
    visits: Sequence[Visit],
    rated: Sequence[Rated],
    *,
    idle_s: float = 0.0,
    target_pct: float | None = None,
) -> Figures:
    states = Counter(v.state for v in visits)
    done = [v for v in visits if v.state == "done"]
    waits: list[float] = []
    within = 0
    for v in done:
        if v.called_at is None:
            continue
        wait = (v.called_at - v.issued_at).total_seconds()
        waits.append(wait)
        svc = config.service_by_code.get(v.service)
        target_s = (svc.target_wait_minutes if svc else 15) * 60
        within += wait <= target_s
    services = [
        (v.ended_at - v.started_at).total_seconds()
        for v in done
        if v.started_at is not None and v.ended_at is not None
    ]

    levels: Counter[str] = Counter()
    raw: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    praised: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    partial = 0
    for r in rated:
        levels[r.level] += 1
        raw[r.level_raw] += 1
        sources[r.source] += 1
        praised.update(r.praised or ())
        reasons.update(r.reasons or ())
        partial += bool(r.partial)
    satisfied = levels[Level.VERY_SATISFIED] + levels[Level.SATISFIED]
    sat_pct = pct(satisfied, len(rated))
    return Figures(
        issued=sum(1 for v in visits if v.transferred_from is None),
        served=states["done"],
        no_show=states["no_show"],
        transferred=states["transferred"],
        cancelled=states["cancelled"],
        carried_over=states["cancelled"] + sum(states[s] for s in OPEN_STATES),
        wait=time_stats(waits),
        service=time_stats(services),
        service_level_pct=pct(within, len(waits)),
        idle_while_waiting_s=round(idle_s, 1),
        ratings=len(rated),
        satisfied=satisfied,
        satisfaction_pct=sat_pct,
        response_rate_pct=pct(len(rated), states["done"]),
        partial=partial,
        levels={lvl.value: levels[lvl.value] for lvl in Level},
        raw_levels={lvl.value: raw[lvl.value] for lvl in RawLevel if raw[lvl.value]},
        praised={i.code: praised[i.code] for i in CONDUCT_ITEMS if praised[i.code]},
        reasons={i.code: reasons[i.code] for i in CONDUCT_ITEMS if reasons[i.code]},
        by_source=dict(sorted(sources.items())),
        target_pct=target_pct,
        meets_target=None if sat_pct is None or target_pct is None else sat_pct >= target_pct,
        small_sample=len(rated) < config.rating.small_sample,
    )
