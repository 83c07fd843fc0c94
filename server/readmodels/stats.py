"""Per-desk aggregates for a local day, computed from the database.

Satisfaction % = (Rất hài lòng + Hài lòng) ÷ valid ratings × 100;
response rate = rated tickets ÷ tickets served (done) × 100;
waiting time = last call − issue; service time = end − start (docs/kpis.md).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.codes import TicketState
from protocol.conduct import CONDUCT_ITEMS, Level
from protocol.messages import DeskStats
from server.config import SiteConfig
from server.db.tables import RatingRow, TicketRow
from server.queue.eta import percentile
from server.timeutil import now_utc

# Core columns: plain rows, no ORM bookkeeping (statistics are rebuilt often).
_T = TicketRow.__table__.c
_R = RatingRow.__table__.c


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def desk_stats(s: Session, config: SiteConfig, desk_id: str, day: date) -> DeskStats:
    site = config.site.code
    tickets = s.execute(
        select(_T.state, _T.issued_at, _T.called_at, _T.started_at, _T.ended_at).where(
            _T.site == site, _T.desk_id == desk_id, _T.day == day
        )
    ).all()
    states = Counter(t.state for t in tickets)
    done = [t for t in tickets if t.state == TicketState.DONE]
    waits = [(t.called_at - t.issued_at).total_seconds() for t in done if t.called_at]
    services = [
        (t.ended_at - t.started_at).total_seconds() for t in done if t.started_at and t.ended_at
    ]

    ratings = s.execute(
        select(_R.level, _R.praised, _R.reasons).where(
            _R.site == site, _R.desk_id == desk_id, _R.day == day
        )
    ).all()
    levels = Counter(r.level for r in ratings)
    praised: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for r in ratings:
        praised.update(r.praised or [])
        reasons.update(r.reasons or [])
    satisfied = levels[Level.VERY_SATISFIED] + levels[Level.SATISFIED]
    wait_p90 = percentile(waits, 90)
    service_p90 = percentile(services, 90)
    return DeskStats(
        desk_id=desk_id,
        day=day,
        served=states[TicketState.DONE],
        no_show=states[TicketState.NO_SHOW],
        transferred=states[TicketState.TRANSFERRED],
        ratings=len(ratings),
        satisfied=satisfied,
        satisfaction_pct=_pct(satisfied, len(ratings)),
        response_rate_pct=_pct(len(ratings), states[TicketState.DONE]),
        target_pct=config.target_for(day),
        levels={lvl.value: levels[lvl] for lvl in Level},
        praised={i.code: praised[i.code] for i in CONDUCT_ITEMS if praised[i.code]},
        reasons={i.code: reasons[i.code] for i in CONDUCT_ITEMS if reasons[i.code]},
        wait_mean_s=_mean(waits),
        wait_p90_s=round(wait_p90, 1) if wait_p90 is not None else None,
        service_mean_s=_mean(services),
        service_p90_s=round(service_p90, 1) if service_p90 is not None else None,
        updated_at=now_utc(),
    )
